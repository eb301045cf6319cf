import { ConditionFailedError, type Item, type Table } from '../../ports/table.js';
import { nextId } from './counter.js';
import { indexes, keys } from './keys.js';

export interface User {
  id: number;
  username: string;
  email: string;
  realname: string;
  comment: string;
  /** `scrypt$...` for local accounts; null for LDAP accounts, whose password the directory checks. */
  passwordHash: string | null;
  sysadmin: boolean;
  source: 'db' | 'ldap';
  /** The directory entry and its groups as of the last LDAP login (group roles come from these). */
  ldapDn: string | null;
  ldapGroups: string[];
  /**
   * Bumped whenever the password changes: refresh tokens carry the version they were issued
   * under and stop working once it moves on.
   */
  credentialVersion: number;
  createdAt: string;
  updatedAt: string;
}

export type NewUser = Omit<User, 'id' | 'createdAt' | 'updatedAt' | 'credentialVersion'>;

function toUser(item: Item): User {
  return {
    id: item.id as number,
    username: item.username as string,
    email: (item.email as string) ?? '',
    realname: (item.realname as string) ?? '',
    comment: (item.comment as string) ?? '',
    passwordHash: (item.passwordHash as string | null) ?? null,
    sysadmin: item.sysadmin === true,
    source: item.source === 'ldap' ? 'ldap' : 'db',
    ldapDn: (item.ldapDn as string | null) ?? null,
    ldapGroups: Array.isArray(item.ldapGroups) ? (item.ldapGroups as string[]) : [],
    credentialVersion: typeof item.credentialVersion === 'number' ? item.credentialVersion : 0,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

function toItem(user: User): Item {
  return {
    ...keys.user(user.username),
    gsi1pk: indexes.users,
    gsi1sk: user.username,
    id: user.id,
    username: user.username,
    email: user.email,
    realname: user.realname,
    comment: user.comment,
    passwordHash: user.passwordHash,
    sysadmin: user.sysadmin,
    source: user.source,
    ldapDn: user.ldapDn,
    ldapGroups: user.ldapGroups,
    credentialVersion: user.credentialVersion,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

export class UserStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
  ) {}

  /** The user, or null. */
  async get(username: string): Promise<User | null> {
    const item = await this.table.get(keys.user(username));
    return item ? toUser(item) : null;
  }

  async getById(id: number): Promise<User | null> {
    const pointer = await this.table.get(keys.userId(id));
    return pointer ? this.get(pointer.username as string) : null;
  }

  /** Creates the user; null when the username is taken. */
  async create(input: NewUser): Promise<User | null> {
    if (await this.get(input.username)) return null;
    const at = this.now().toISOString();
    const user: User = { ...input, id: await nextId(this.table, 'user'), credentialVersion: 0, createdAt: at, updatedAt: at };
    try {
      await this.table.transact([
        { put: toItem(user), condition: { exists: false } },
        { put: { ...keys.userId(user.id), username: user.username }, condition: { exists: false } },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return user;
  }

  /**
   * Replaces the stored fields named in `changes`; null when the user is gone. A new password hash
   * moves the credential version on, whoever sets it (the API, the recovery command).
   */
  async update(username: string, changes: Partial<Omit<User, 'id' | 'username' | 'createdAt' | 'credentialVersion'>>): Promise<User | null> {
    const current = await this.get(username);
    if (!current) return null;
    const credentialVersion = changes.passwordHash !== undefined ? current.credentialVersion + 1 : current.credentialVersion;
    const next: User = { ...current, ...changes, credentialVersion, updatedAt: this.now().toISOString() };
    await this.table.put(toItem(next), { exists: true });
    return next;
  }

  async delete(user: User): Promise<void> {
    await this.table.transact([{ delete: keys.user(user.username) }, { delete: keys.userId(user.id) }]);
  }

  /** Users in username order, from the index (a just-created user may lag). */
  async list(options: { after?: string; limit?: number; prefix?: string } = {}): Promise<User[]> {
    const items = await this.table.query(indexes.users, { index: 'gsi1', ...options });
    return items.map(toUser);
  }
}
