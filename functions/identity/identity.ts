import type { Table } from '../ports/table.js';
import { AccessResolver } from './access.js';
import { Authenticator, type DirectoryFactory } from './authenticator.js';
import { HashBudget, type HashBudgetOptions, defaultHashBudget } from './hash-budget.js';
import { LoginThrottle, type ThrottleOptions, defaultThrottle } from './login-throttle.js';
import { generatePassword, hashPassword } from './passwords.js';
import type { Principal } from './principal.js';
import { type AuthConfig, ConfigStore } from './stores/config-store.js';
import { keys } from './stores/keys.js';
import { MemberStore } from './stores/member-store.js';
import { projectRoles } from './rbac.js';
import { type Project, ProjectStore } from './stores/project-store.js';
import { RobotStore, robotPrefix } from './stores/robot-store.js';
import { type User, UserStore } from './stores/user-store.js';
import { TokenService, type TokenServiceOptions, defaultTokenOptions } from './token-service.js';

export interface IdentityOptions {
  /** The token-auth `service` (the `aud` of tokens). */
  service: string;
  /**
   * Absolute URL of the token endpoint for the `realm` of challenges. Default: the request's own
   * origin + `/service/token`, right whenever the registry is reached on one host.
   */
  realm?: string;
  tokens?: Partial<Omit<TokenServiceOptions, 'service'>>;
  throttle?: ThrottleOptions;
  hashBudget?: HashBudgetOptions;
  /** Settings fixed at deployment time (e.g. LDAP); the configurations API overrides them. */
  authConfig?: Partial<AuthConfig>;
  directory?: DirectoryFactory;
  now?: () => Date;
}

/** Identity and access for one deployment: the stores, the token service, login and RBAC. */
export class Identity {
  readonly users: UserStore;
  readonly projects: ProjectStore;
  readonly members: MemberStore;
  readonly robots: RobotStore;
  readonly config: ConfigStore;
  readonly tokens: TokenService;
  readonly throttle: LoginThrottle;
  readonly hashBudget: HashBudget;
  readonly authenticator: Authenticator;
  readonly access: AccessResolver;
  readonly now: () => Date;

  constructor(
    readonly table: Table,
    readonly options: IdentityOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.users = new UserStore(table, this.now);
    this.projects = new ProjectStore(table, this.now);
    this.members = new MemberStore(table);
    this.robots = new RobotStore(table, this.now);
    this.config = new ConfigStore(table, options.authConfig);
    this.tokens = new TokenService(table, { service: options.service, ...defaultTokenOptions, ...options.tokens }, this.now);
    this.throttle = new LoginThrottle(table, this.now, options.throttle ?? defaultThrottle);
    this.hashBudget = new HashBudget(this.now, options.hashBudget ?? defaultHashBudget);
    this.authenticator = new Authenticator(this.users, this.robots, this.config, this.throttle, this.hashBudget, this.now, options.directory);
    this.access = new AccessResolver(this.projects, this.members, this.now);
  }

  /**
   * Creates a project with `creator` as its project admin: the one way projects come to be, from
   * the API or a system admin's first push. Null when the name is taken.
   */
  async createProject(input: { name: string; public: boolean; metadata?: Record<string, string>; creator: User }): Promise<Project | null> {
    const { creator } = input;
    const project = await this.projects.create({
      name: input.name,
      public: input.public,
      ...(input.metadata ? { metadata: input.metadata } : {}),
      ownerId: creator.id,
      ownerName: creator.username,
    });
    if (!project) return null;
    await this.members.add({ project: project.name, entityType: 'u', entityName: creator.username, entityId: creator.id, roleId: projectRoles.projectAdmin });
    return project;
  }

  /** The principal a token's `sub` names, as it stands now; null when it no longer exists. */
  async principalOf(subject: string): Promise<Principal | null> {
    if (subject === '') return { kind: 'anonymous' };
    if (subject.startsWith(robotPrefix)) {
      const robot = await this.robots.get(subject);
      return robot ? { kind: 'robot', robot } : null;
    }
    const user = await this.users.get(subject);
    return user ? { kind: 'user', user } : null;
  }
}

export const adminUsername = 'admin';

/**
 * First start: makes the signing key set, and creates the system admin `admin` when no such user
 * exists — with `password` when given (BERTH_ADMIN_PASSWORD), else with a generated one returned
 * so the entry point prints it once. An existing admin is left alone: changing the variable later
 * does not reset a password. Safe to run on every start. Leaves the marker that keeps identity on
 * for this table from now on (identityWasOn).
 */
export async function bootstrapIdentity(identity: Identity, password?: string): Promise<{ created: boolean; generatedPassword?: string }> {
  await identity.tokens.jwks();
  if (!(await identityWasOn(identity.table))) await identity.table.put({ ...keys.identityOn, since: identity.now().toISOString() });
  if (await identity.users.get(adminUsername)) return { created: false };
  const chosen = password && password.length > 0 ? password : generatePassword();
  const created = await identity.users.create({
    username: adminUsername,
    email: '',
    realname: 'system admin',
    comment: 'created on first start',
    passwordHash: await hashPassword(chosen),
    sysadmin: true,
    source: 'db',
    ldapDn: null,
    ldapGroups: [],
  });
  if (!created) return { created: false };
  return password ? { created: true } : { created: true, generatedPassword: chosen };
}

/** Has identity ever been on for this table? Then starting without auth settings keeps it on. */
export async function identityWasOn(table: Table): Promise<boolean> {
  return (await table.get(keys.identityOn)) !== null;
}
