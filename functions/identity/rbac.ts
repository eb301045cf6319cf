/**
 * Who may do what: Harbor's "user permissions by role" table, cut down to the actions Berth has.
 * Pure functions; the stores decide who holds which role, this file decides what a role allows.
 */

/** Project roles with Harbor's numeric ids (the `role_id` of the members API). */
export const projectRoles = {
  projectAdmin: 1,
  developer: 2,
  guest: 3,
  maintainer: 4,
  limitedGuest: 5,
} as const;

export type ProjectRole = keyof typeof projectRoles;

export const roleNames: Record<ProjectRole, string> = {
  projectAdmin: 'projectAdmin',
  developer: 'developer',
  guest: 'guest',
  maintainer: 'maintainer',
  limitedGuest: 'limitedGuest',
};

export function roleFromId(id: number): ProjectRole | null {
  for (const [role, roleId] of Object.entries(projectRoles)) if (roleId === id) return role as ProjectRole;
  return null;
}

/**
 * The actions Berth authorizes. `push` creates a tag (or pushes by digest); `overwrite-tag` moves an
 * existing tag to new content, kept apart so tag immutability can later refuse it alone.
 */
export const actions = [
  'read-project',
  'pull',
  'push',
  'overwrite-tag',
  'delete-artifact',
  'delete-repository',
  'list-members',
  'manage-members',
  'manage-robots',
  'update-project',
  'delete-project',
] as const;

export type Action = (typeof actions)[number];

/**
 * Harbor's table (docs "User Permissions By Role"): limited guests and guests pull; developers
 * also push (Harbor lets them overwrite tags too, so does Berth); maintainers also delete
 * artifacts and repositories; only project admins manage members and project robots. Limited
 * guests differ from guests in not seeing the member list. Changing or deleting the project is
 * the project admin's too.
 */
const roleActions: Record<ProjectRole, ReadonlySet<Action>> = {
  limitedGuest: new Set(['read-project', 'pull']),
  guest: new Set(['read-project', 'pull', 'list-members']),
  developer: new Set(['read-project', 'pull', 'push', 'overwrite-tag', 'list-members']),
  maintainer: new Set([
    'read-project', 'pull', 'push', 'overwrite-tag', 'delete-artifact', 'delete-repository', 'list-members',
  ]),
  projectAdmin: new Set(actions),
};

/** Order of privilege, for picking the strongest of several memberships (user + LDAP groups). */
const rank: Record<ProjectRole, number> = { limitedGuest: 1, guest: 2, developer: 3, maintainer: 4, projectAdmin: 5 };

export function strongestRole(roles: Iterable<ProjectRole>): ProjectRole | null {
  let best: ProjectRole | null = null;
  for (const role of roles) if (best === null || rank[role] > rank[best]) best = role;
  return best;
}

/** What a caller is, as far as permissions go, with respect to one project. */
export type Subject =
  | { kind: 'anonymous' }
  | { kind: 'user'; sysadmin: boolean; role: ProjectRole | null }
  | { kind: 'robot'; permissions: ReadonlySet<Action> };

export interface ProjectFacts {
  exists: boolean;
  public: boolean;
}

/**
 * Whether `subject` may perform `action` on a project. Anyone may read and pull a public project
 * (Harbor: anonymous pull of public projects; logged-in non-members likewise). System admins may do
 * everything, including on projects that do not exist yet (see `shouldCreateProjectOnPush`).
 * Robots hold exactly the permissions they were created with and nothing from the public flag
 * beyond pull.
 */
export function isAllowed(subject: Subject, action: Action, project: ProjectFacts): boolean {
  if (subject.kind === 'user' && subject.sysadmin) return true;
  if (!project.exists) return false;
  if (project.public && (action === 'pull' || action === 'read-project')) return true;
  if (subject.kind === 'anonymous') return false;
  if (subject.kind === 'robot') return subject.permissions.has(action);
  return subject.role !== null && roleActions[subject.role].has(action);
}

export function allowedActions(subject: Subject, project: ProjectFacts): Action[] {
  return actions.filter((action) => isAllowed(subject, action, project));
}

/**
 * A push to a repository whose project does not exist: Harbor and ECR refuse it. Berth refuses it
 * too, except for a system admin, for whom the project is created (private) on the first push.
 * That keeps projects an explicit, audited act for everyone else while letting an operator (and
 * the OCI conformance suite, which pushes to a namespace of its choosing) work with one account.
 */
export function shouldCreateProjectOnPush(subject: Subject): boolean {
  return subject.kind === 'user' && subject.sysadmin;
}
