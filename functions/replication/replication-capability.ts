import type { AppDeps } from '../app-env.js';
import type { Capability } from '../capability.js';
import { ScheduleStore } from '../schedules/schedule-store.js';
import type { PolicyRecord } from './policy-store.js';
import { replicatorFor } from './replicators.js';
import { ensureInboundAccount, ensureTopologyPolicies } from './topology.js';

export function scheduleId(policyId: number): string {
  return `replication-policy-${policyId}`;
}

/** Keeps the policy's schedule in step with it: set while it is enabled and scheduled, else gone. */
export async function schedulePolicy(deps: AppDeps, policy: PolicyRecord): Promise<void> {
  const schedules = new ScheduleStore(deps.table, deps.queue, deps.now);
  if (policy.enabled && policy.trigger.type === 'scheduled' && policy.trigger.cron) {
    await schedules.set(scheduleId(policy.id), policy.trigger.cron, {
      version: 1,
      kind: 'replication-execution',
      id: `schedule-${policy.id}`,
      policyId: policy.id,
    });
  } else {
    await schedules.remove(scheduleId(policy.id));
  }
}

/**
 * Replication as the worker sees it: it plans executions and runs copy tasks (long jobs), and
 * turns registry events into executions of event-based policies.
 */
export function replicationCapability(deps: AppDeps): Capability {
  let applied: Promise<void> | undefined;
  // The region topology is applied once per process, before the first event is looked at; a
  // failure is retried with the next event (the event itself is retried by the queue).
  const topology = () =>
    (applied ??= applyTopology(deps).catch((error: unknown) => {
      applied = undefined;
      throw error;
    }));
  if (deps.config.replicationTopology) {
    topology().catch((error: unknown) => console.error(JSON.stringify({ level: 'error', message: 'region topology not applied yet', error: String(error) })));
  }
  return {
    name: 'replication',
    jobs: {
      'replication-execution': (job) => replicatorFor(deps).handle(job),
      'replication-task': (job) => replicatorFor(deps).handle(job),
    },
    onEvent: async (event) => {
      if (deps.config.replicationTopology) await topology();
      await replicatorFor(deps).onEvent(event);
    },
  };
}

async function applyTopology(deps: AppDeps): Promise<void> {
  const topology = deps.config.replicationTopology;
  if (!topology) return;
  if (topology.inboundPassword && deps.identity) await ensureInboundAccount(deps, deps.identity, topology.inboundPassword);
  if (topology.targets.length > 0) await ensureTopologyPolicies(replicatorFor(deps), topology.targets);
}
