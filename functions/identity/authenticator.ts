import type { HashBudget } from './hash-budget.js';
import type { LoginThrottle } from './login-throttle.js';
import { type Directory, type DirectoryUser, ldapDirectory } from './directory.js';
import { burnPasswordCheck, verifyPassword, verifySecret } from './passwords.js';
import type { Principal } from './principal.js';
import type { AuthConfig, ConfigStore } from './stores/config-store.js';
import { type RobotStore, isRobotUsable, robotPrefix } from './stores/robot-store.js';
import type { User, UserStore } from './stores/user-store.js';
import { VerifiedPasswords } from './verified-passwords.js';

/** Too many failed logins for this name or from this address; try again after `retryAfterSeconds`. */
export class LoginThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many failed logins');
    this.name = 'LoginThrottledError';
  }
}

/** How the directory is reached: replaceable so tests and deployments can point it elsewhere. */
export type DirectoryFactory = (config: AuthConfig) => Pick<Directory, 'authenticate'>;

/**
 * Checks a login name and password (or robot secret). A name belongs to the source that created
 * it: local accounts check their scrypt hash even in LDAP mode (so the bootstrap admin keeps
 * working when the directory is down), names starting with `robot$` are robots, and in LDAP mode
 * any other name is asked of the directory and its user record created or refreshed on success.
 */
export class Authenticator {
  constructor(
    private readonly users: UserStore,
    private readonly robots: RobotStore,
    private readonly config: ConfigStore,
    private readonly throttle: LoginThrottle,
    private readonly budget: HashBudget,
    private readonly now: () => Date,
    private readonly directory: DirectoryFactory = ldapDirectory,
    /** The password check itself (scrypt); replaceable so a test can count the checks. */
    private readonly verify: (password: string, encoded: string) => Promise<boolean> = verifyPassword,
    private readonly verified: VerifiedPasswords = new VerifiedPasswords(now),
  ) {}

  /**
   * The principal, or null for wrong credentials, for a caller at client `address`. Throws
   * LoginThrottledError while the name is locked for that address or the address itself is (even
   * for the right password), or when the address has used up its hashing budget; and
   * DirectoryUnavailableError when LDAP cannot answer (not counted as a failure: the caller did
   * nothing wrong).
   */
  async authenticate(login: string, password: string, address: string): Promise<Principal | null> {
    const wait = await this.throttle.retryAfter(login, address);
    if (wait > 0) throw new LoginThrottledError(wait);
    if (!this.budget.take(address)) throw new LoginThrottledError(this.budget.retryAfter(address));
    let principal: Principal | null;
    try {
      principal = await this.check(login, password);
    } catch (error) {
      this.budget.giveBack(address);
      throw error;
    }
    if (principal) {
      this.budget.giveBack(address);
      await this.throttle.recordSuccess(login, address);
    } else {
      await this.throttle.recordFailure(login, address);
    }
    return principal;
  }

  private async check(login: string, password: string): Promise<Principal | null> {
    if (login.startsWith(robotPrefix)) {
      const robot = await this.robots.get(login);
      if (!robot) await burnPasswordCheck(password);
      const ok = robot !== null && (await verifySecret(password, robot.secretHash));
      return ok && isRobotUsable(robot, Math.floor(this.now().getTime() / 1000)) ? { kind: 'robot', robot } : null;
    }
    const user = await this.users.get(login);
    if (user && user.source === 'db') {
      const { passwordHash } = user;
      if (passwordHash === null) return null;
      if (this.verified.has(login, password, passwordHash)) return { kind: 'user', user };
      if (!(await this.verify(password, passwordHash))) return null;
      this.verified.remember(login, password, passwordHash);
      return { kind: 'user', user };
    }
    const config = await this.config.get();
    if (config.auth_mode === 'ldap_auth') {
      const found = await this.directory(config).authenticate(login, password);
      return found ? { kind: 'user', user: await this.upsertLdapUser(user, found) } : null;
    }
    await burnPasswordCheck(password);
    return null;
  }

  private async upsertLdapUser(existing: User | null, found: DirectoryUser): Promise<User> {
    const fields = {
      email: found.email,
      realname: found.realname,
      ldapDn: found.dn,
      ldapGroups: found.groups,
      sysadmin: found.admin || (existing?.sysadmin ?? false),
    };
    if (existing) return (await this.users.update(existing.username, fields)) ?? existing;
    const created = await this.users.create({
      username: found.username,
      comment: 'from LDAP',
      passwordHash: null,
      source: 'ldap',
      ...fields,
    });
    // A concurrent first login created it: use that record.
    return created ?? (await this.users.get(found.username))!;
  }
}
