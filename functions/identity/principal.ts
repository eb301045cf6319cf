import type { Robot } from './stores/robot-store.js';
import type { User } from './stores/user-store.js';

/** Who is calling, once credentials have been checked. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; user: User }
  | { kind: 'robot'; robot: Robot };

export const anonymous: Principal = { kind: 'anonymous' };

/** The token `sub` of a principal: '' for anonymous callers (as the Docker token spec allows). */
export function subjectOf(principal: Principal): string {
  if (principal.kind === 'user') return principal.user.username;
  if (principal.kind === 'robot') return principal.robot.name;
  return '';
}

export function isSysadmin(principal: Principal): boolean {
  return principal.kind === 'user' && principal.user.sysadmin;
}

/**
 * What a refresh token is bound to: the account by its id (a name can be reused by a new account
 * after a deletion; an id never is) and its credential version. Null for anonymous callers.
 */
export function credentialOf(principal: Principal): { account: string; version: number } | null {
  if (principal.kind === 'user') return { account: `user:${principal.user.id}`, version: principal.user.credentialVersion };
  if (principal.kind === 'robot') return { account: `robot:${principal.robot.id}`, version: principal.robot.credentialVersion };
  return null;
}
