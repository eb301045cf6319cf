import { indexPartitions, partitions } from '../../table-layout.js';

/**
 * Where identity data lives in the single table. The registry owns the partitions starting with
 * `repo#`, `catalog`, `blob#` and `upload#`; everything here starts with another prefix.
 *
 * | pk                         | sk                        | item                                      |
 * |----------------------------|---------------------------|-------------------------------------------|
 * | `user#<username>`          | `user`                    | a user (local or LDAP)                    |
 * | `user-id#<id>`             | `user`                    | pointer: numeric id → username            |
 * | `project#<name>`           | `project`                 | a project                                 |
 * | `project#<name>`           | `member#u#<username>`     | a user's membership                       |
 * | `project#<name>`           | `member#g#<group dn>`     | an LDAP group's membership                |
 * | `project-id#<id>`          | `project`                 | pointer: numeric id → project name        |
 * | `member-id#<id>`           | `member`                  | pointer: member id → project + sort key   |
 * | `robot#<full name>`        | `robot`                   | a robot account (secret stored as a hash) |
 * | `robot-id#<id>`            | `robot`                   | pointer: numeric id → robot name          |
 * | `config#auth`              | `config`                  | auth mode and LDAP settings               |
 * | `config#signing-keys`      | `keys`                    | the token signing key set                 |
 * | `config#counter`           | `<kind>`                  | last numeric id handed out per kind       |
 * | `config#identity`          | `config`                  | marker: identity has been on (stays on)   |
 * | `throttle#<login name>`    | `from#<client address>`   | failed logins of a name from an address   |
 * | `throttle-address#<addr>`  | `failures`                | failed logins from an address (any name)  |
 *
 * Index gsi1 lists what the API pages through (eventually consistent, which lists tolerate):
 * `idx#users` by username, `idx#projects` by project name, `idx#robots` by `<project or *>#<name>`,
 * and `idx#member-of#u#<username>` / `idx#member-of#g#<group dn>` by project name, so the projects a
 * caller can see are one query away.
 */
export const keys = {
  user: (username: string) => ({ pk: `${partitions.user}${username}`, sk: 'user' }),
  userId: (id: number) => ({ pk: `${partitions.userId}${id}`, sk: 'user' }),
  project: (name: string) => ({ pk: `${partitions.project}${name}`, sk: 'project' }),
  projectId: (id: number) => ({ pk: `${partitions.projectId}${id}`, sk: 'project' }),
  memberSk: (entity: 'u' | 'g', name: string) => `member#${entity}#${name}`,
  memberId: (id: number) => ({ pk: `${partitions.memberId}${id}`, sk: 'member' }),
  robot: (name: string) => ({ pk: `${partitions.robot}${name}`, sk: 'robot' }),
  robotId: (id: number) => ({ pk: `${partitions.robotId}${id}`, sk: 'robot' }),
  authConfig: { pk: `${partitions.config}auth`, sk: 'config' },
  signingKeys: { pk: `${partitions.config}signing-keys`, sk: 'keys' },
  identityOn: { pk: `${partitions.config}identity`, sk: 'config' },
  counter: (kind: string) => ({ pk: `${partitions.config}counter`, sk: kind }),
  throttle: (login: string, address: string) => ({ pk: `${partitions.throttle}${login}`, sk: `from#${address}` }),
  throttleAddress: (address: string) => ({ pk: `${partitions.throttleAddress}${address}`, sk: 'failures' }),
} as const;

export const indexes = {
  users: `${indexPartitions.identity}users`,
  projects: `${indexPartitions.identity}projects`,
  robots: `${indexPartitions.identity}robots`,
  memberOf: (entity: 'u' | 'g', name: string) => `${indexPartitions.identity}member-of#${entity}#${name}`,
} as const;
