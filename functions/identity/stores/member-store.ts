import { ConditionFailedError, type Item, type Table } from '../../ports/table.js';
import { type ProjectRole, roleFromId } from '../rbac.js';
import { nextId } from './counter.js';
import { indexes, keys } from './keys.js';

/** A project membership: a user (`u`) or an LDAP group (`g`, named by its DN) holding a role. */
export interface Member {
  id: number;
  project: string;
  entityType: 'u' | 'g';
  /** Username, or the group DN. */
  entityName: string;
  /** User id, or 0 for a group. */
  entityId: number;
  roleId: number;
}

function toMember(item: Item): Member {
  return {
    id: item.id as number,
    project: item.project as string,
    entityType: item.entityType === 'g' ? 'g' : 'u',
    entityName: item.entityName as string,
    entityId: item.entityId as number,
    roleId: item.roleId as number,
  };
}

function toItem(member: Member): Item {
  return {
    pk: keys.project(member.project).pk,
    sk: keys.memberSk(member.entityType, member.entityName),
    gsi1pk: indexes.memberOf(member.entityType, member.entityName),
    gsi1sk: member.project,
    ...member,
  };
}

/** LDAP group DNs are matched case-insensitively, as directories compare them. */
function entityKey(entityType: 'u' | 'g', name: string): string {
  return entityType === 'g' ? name.toLowerCase() : name;
}

export class MemberStore {
  constructor(private readonly table: Table) {}

  /** Members of a project, users before groups. */
  async list(project: string): Promise<Member[]> {
    const items = await this.table.query(keys.project(project).pk, { prefix: 'member#' });
    return items.map(toMember);
  }

  async get(project: string, entityType: 'u' | 'g', name: string): Promise<Member | null> {
    const item = await this.table.get({
      pk: keys.project(project).pk,
      sk: keys.memberSk(entityType, entityKey(entityType, name)),
    });
    return item ? toMember(item) : null;
  }

  async getById(id: number): Promise<Member | null> {
    const pointer = await this.table.get(keys.memberId(id));
    if (!pointer) return null;
    const item = await this.table.get({ pk: pointer.memberPk as string, sk: pointer.memberSk as string });
    return item ? toMember(item) : null;
  }

  /** Adds a membership; null when this entity is already a member of the project. */
  async add(input: Omit<Member, 'id'>): Promise<Member | null> {
    const member: Member = { ...input, entityName: entityKey(input.entityType, input.entityName), id: 0 };
    if (await this.get(member.project, member.entityType, member.entityName)) return null;
    member.id = await nextId(this.table, 'member');
    const item = toItem(member);
    try {
      await this.table.transact([
        { put: item, condition: { exists: false } },
        { put: { ...keys.memberId(member.id), memberPk: item.pk, memberSk: item.sk }, condition: { exists: false } },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return member;
  }

  async setRole(member: Member, roleId: number): Promise<Member> {
    const next = { ...member, roleId };
    await this.table.put(toItem(next), { exists: true });
    return next;
  }

  async remove(member: Member): Promise<void> {
    const item = toItem(member);
    await this.table.transact([{ delete: { pk: item.pk, sk: item.sk } }, { delete: keys.memberId(member.id) }]);
  }

  /** The roles a user holds in a project, directly and through any of `groups`. */
  async rolesOf(project: string, username: string, groups: readonly string[]): Promise<ProjectRole[]> {
    const candidates = [this.get(project, 'u', username), ...groups.map((dn) => this.get(project, 'g', dn))];
    const roles: ProjectRole[] = [];
    for (const member of await Promise.all(candidates)) {
      const role = member ? roleFromId(member.roleId) : null;
      if (role) roles.push(role);
    }
    return roles;
  }

  /** Names of the projects a user belongs to, directly or through `groups`. */
  async projectsOf(username: string, groups: readonly string[]): Promise<Set<string>> {
    const lists = await Promise.all([
      this.table.query(indexes.memberOf('u', username), { index: 'gsi1' }),
      ...groups.map((dn) => this.table.query(indexes.memberOf('g', entityKey('g', dn)), { index: 'gsi1' })),
    ]);
    return new Set(lists.flat().map((item) => item.project as string));
  }
}
