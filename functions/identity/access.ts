import { isValidName } from '../core/reference.js';
import type { Principal } from './principal.js';
import { type Action, type Subject, allowedActions, shouldCreateProjectOnPush, strongestRole } from './rbac.js';
import type { ResourceAccess } from './scope.js';
import type { MemberStore } from './stores/member-store.js';
import { type Project, type ProjectStore, projectOf } from './stores/project-store.js';
import { isRobotUsable, robotActions } from './stores/robot-store.js';

/** The token-auth actions on a repository and the Berth action each one needs. */
export const registryActions = { pull: 'pull', push: 'push', delete: 'delete-artifact' } as const satisfies Record<string, Action>;
export type RegistryAction = keyof typeof registryActions;

/**
 * Joins who is calling (Principal) with what they hold in a project (memberships, robot grants,
 * the public flag) and asks rbac.ts. Everything here reads current data: a removed member loses
 * access as soon as their short-lived token expires.
 */
export class AccessResolver {
  constructor(
    private readonly projects: ProjectStore,
    private readonly members: MemberStore,
    private readonly now: () => Date,
  ) {}

  async subjectIn(principal: Principal, project: string): Promise<Subject> {
    if (principal.kind === 'anonymous') return { kind: 'anonymous' };
    if (principal.kind === 'robot') {
      const usable = isRobotUsable(principal.robot, Math.floor(this.now().getTime() / 1000));
      return { kind: 'robot', permissions: usable ? robotActions(principal.robot, project) : new Set() };
    }
    const { user } = principal;
    const roles = await this.members.rolesOf(project, user.username, user.ldapGroups);
    return { kind: 'user', sysadmin: user.sysadmin, role: strongestRole(roles) };
  }

  /** The Berth actions `principal` holds on a project (which may not exist). */
  async actionsOn(principal: Principal, projectName: string): Promise<{ project: Project | null; actions: Set<Action>; subject: Subject }> {
    const project = await this.projects.get(projectName);
    const subject = await this.subjectIn(principal, projectName);
    const facts = { exists: project !== null, public: project?.public ?? false };
    return { project, actions: new Set(allowedActions(subject, facts)), subject };
  }

  /**
   * The token-auth actions granted on `repository` out of `requested` (`*` asks for all). A
   * malformed name is granted nothing, so no token ever names one.
   */
  async grantOnRepository(principal: Principal, repository: string, requested: readonly string[]): Promise<RegistryAction[]> {
    if (!isValidName(repository)) return [];
    const { project, actions, subject } = await this.actionsOn(principal, projectOf(repository));
    const wanted = requested.includes('*') ? (Object.keys(registryActions) as RegistryAction[]) : requested;
    return (Object.keys(registryActions) as RegistryAction[]).filter((action) => {
      if (!wanted.includes(action)) return false;
      if (project === null && action === 'push') return shouldCreateProjectOnPush(subject);
      return actions.has(registryActions[action]);
    });
  }

  /** The `access` claim for a token request: each requested scope cut down to what is granted. */
  async grant(principal: Principal, requested: readonly ResourceAccess[]): Promise<ResourceAccess[]> {
    const granted: ResourceAccess[] = [];
    for (const scope of requested) {
      if (scope.type === 'repository') {
        const actions = await this.grantOnRepository(principal, scope.name, scope.actions);
        if (actions.length > 0) granted.push({ type: 'repository', name: scope.name, actions });
      } else if (scope.type === 'registry' && scope.name === 'catalog' && principal.kind === 'user' && principal.user.sysadmin) {
        // Harbor lists the whole catalog to system admins only: it would name private projects.
        granted.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      }
    }
    return granted;
  }
}
