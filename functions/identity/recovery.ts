import type { Table } from '../ports/table.js';
import { LoginThrottle } from './login-throttle.js';
import { hashPassword } from './passwords.js';
import { UserStore } from './stores/user-store.js';

/**
 * What an operator does when nobody can log in as an account any more (`npm run admin`): works on
 * the table directly, so it needs no running server and no password of anyone.
 */
export class RecoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecoveryError';
  }
}

/**
 * Sets a local user's password, which also revokes every refresh token issued under the old one
 * (the store moves the credential version on), and lifts every login lock on the name.
 */
export async function resetPassword(table: Table, username: string, password: string): Promise<void> {
  const users = new UserStore(table, () => new Date());
  const user = await users.get(username);
  if (!user) throw new RecoveryError(`no user named ${username}`);
  if (user.source !== 'db') throw new RecoveryError(`${username} is an LDAP account: its password is kept by the directory`);
  await users.update(username, { passwordHash: await hashPassword(password) });
  await new LoginThrottle(table, () => new Date()).unlock(username);
}

/** Lifts every login lock on `login` (a user or a robot), from every client address; how many there were. */
export async function unlockLogin(table: Table, login: string): Promise<number> {
  return new LoginThrottle(table, () => new Date()).unlock(login);
}
