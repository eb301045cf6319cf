/**
 * Where replication keeps its items in the single table. Lists the API pages through live in one
 * partition each, so they read strongly consistent and in id order (ids zero-padded to sort).
 *
 * | pk                                | sk              | item                                    |
 * |-----------------------------------|-----------------|-----------------------------------------|
 * | `replication#registries`          | `<id>`          | a remote registry (credential sealed)   |
 * | `replication#registry-names`      | `<name>`        | name claim → registry id                |
 * | `replication#policies`            | `<id>`          | a replication policy                    |
 * | `replication#policy-names`        | `<name>`        | name claim → policy id                  |
 * | `replication#executions`          | `<id>`          | one run of a policy                     |
 * | `replication#tasks#<execution>`   | `<task id>`     | one repository's copy or one deletion   |
 * | `replication#task#<task id>`      | `task`          | pointer: task id → its execution        |
 * | `replication#log#<task id>`       | `<sequence>`    | a chunk of the task's log               |
 *
 * Numeric ids come from the shared counters (`config#counter`, kinds `replication-*`).
 */
export const replicationPrefix = 'replication#';

export function padId(id: number): string {
  return String(id).padStart(12, '0');
}

export const replicationKeys = {
  registries: 'replication#registries',
  registry: (id: number) => ({ pk: 'replication#registries', sk: padId(id) }),
  registryName: (name: string) => ({ pk: 'replication#registry-names', sk: name }),
  policies: 'replication#policies',
  policy: (id: number) => ({ pk: 'replication#policies', sk: padId(id) }),
  policyName: (name: string) => ({ pk: 'replication#policy-names', sk: name }),
  executions: 'replication#executions',
  execution: (id: number) => ({ pk: 'replication#executions', sk: padId(id) }),
  tasks: (executionId: number) => `replication#tasks#${padId(executionId)}`,
  task: (executionId: number, taskId: number) => ({ pk: `replication#tasks#${padId(executionId)}`, sk: padId(taskId) }),
  taskPointer: (taskId: number) => ({ pk: `replication#task#${padId(taskId)}`, sk: 'task' }),
  log: (taskId: number) => `replication#log#${padId(taskId)}`,
  logChunk: (taskId: number, sequence: number) => ({ pk: `replication#log#${padId(taskId)}`, sk: padId(sequence) }),
} as const;
