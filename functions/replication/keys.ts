import { partitions } from '../table-layout.js';

const p = partitions.replication;

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
 * | `${p}tasks#<execution>`   | `<task id>`     | one repository's copy or one deletion   |
 * | `${p}task#<task id>`      | `task`          | pointer: task id → its execution        |
 * | `${p}log#<task id>`       | `<sequence>`    | a chunk of the task's log               |
 *
 * `replication#scheduled-run#<job id>` and `replication#event-run#<event id>#<policy id>` claim
 * the execution a schedule tick or an event started, so a redelivery starts nothing twice (TTL).
 * Numeric ids come from the shared counters (`config#counter`, kinds `replication-*`).
 */

export function padId(id: number): string {
  return String(id).padStart(12, '0');
}

export const replicationKeys = {
  registries: `${p}registries`,
  registry: (id: number) => ({ pk: `${p}registries`, sk: padId(id) }),
  registryName: (name: string) => ({ pk: `${p}registry-names`, sk: name }),
  policies: `${p}policies`,
  policy: (id: number) => ({ pk: `${p}policies`, sk: padId(id) }),
  policyName: (name: string) => ({ pk: `${p}policy-names`, sk: name }),
  executions: `${p}executions`,
  execution: (id: number) => ({ pk: `${p}executions`, sk: padId(id) }),
  tasks: (executionId: number) => `${p}tasks#${padId(executionId)}`,
  task: (executionId: number, taskId: number) => ({ pk: `${p}tasks#${padId(executionId)}`, sk: padId(taskId) }),
  taskPointer: (taskId: number) => ({ pk: `${p}task#${padId(taskId)}`, sk: 'task' }),
  log: (taskId: number) => `${p}log#${padId(taskId)}`,
  logChunk: (taskId: number, sequence: number) => ({ pk: `${p}log#${padId(taskId)}`, sk: padId(sequence) }),
  scheduledRun: (jobId: string) => ({ pk: `${p}scheduled-run#${jobId}`, sk: 'execution' }),
  eventRun: (eventId: string, policyId: number) => ({ pk: `${p}event-run#${eventId}#${policyId}`, sk: 'execution' }),
} as const;
