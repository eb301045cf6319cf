import type { AppDeps } from '../app-env.js';
import type { Capability } from '../capability.js';
import { ScheduleStore } from '../schedules/schedule-store.js';
import { RetentionPolicies, type RetentionPolicy } from './retention-policies.js';
import { type ImmutableTags, RetentionRunner } from './retention-runner.js';

/** The schedule id of a policy's cron trigger. */
export const retentionScheduleId = (policyId: number) => `retention-${policyId}`;

/** The retention services over the deps, as the routes and the worker use them. */
export function retentionServices(deps: AppDeps, immutable?: ImmutableTags) {
  const policies = new RetentionPolicies(deps.table, deps.now);
  const schedules = new ScheduleStore(deps.table, deps.queue, deps.now);
  return {
    policies,
    runner: new RetentionRunner(deps, policies, immutable),
    /** Puts the policy's cron trigger in the scheduler, or takes it out when it has none. */
    async schedule(policy: RetentionPolicy): Promise<void> {
      const cron = policy.trigger.settings.cron.trim();
      if (!cron) await schedules.remove(retentionScheduleId(policy.id));
      else await schedules.set(retentionScheduleId(policy.id), cron, { version: 1, kind: 'retention-run', id: retentionScheduleId(policy.id), policyId: policy.id });
    },
    unschedule: (policyId: number) => schedules.remove(retentionScheduleId(policyId)),
  };
}

/**
 * Tag retention: runs `retention-run` jobs, enqueued by the API (manual runs and dry runs, with
 * their execution already open) or by the scheduler (cron triggers: the job opens its execution).
 * `immutable` answers which tags immutable tag rules protect; such tags are never removed.
 */
export function retentionCapability(deps: AppDeps, immutable?: ImmutableTags): Capability {
  const { policies, runner, unschedule } = retentionServices(deps, immutable);
  return {
    name: 'retention',
    jobs: {
      'retention-run': async (job) => {
        const policy = await policies.get(job.policyId);
        if (!policy) return;
        // The project it was made for is gone (perhaps replaced by another of the same name): the
        // policy keeps nothing and deletes nothing any more.
        const project = deps.identity ? await deps.identity.projects.get(policy.project) : null;
        if (deps.identity && project?.id !== policy.scope.ref) {
          await unschedule(policy.id);
          return;
        }
        const execution =
          job.executionId === undefined ? await policies.executionForJob(policy.id, job.id) : await policies.execution(policy.id, job.executionId);
        if (!execution || execution.status !== 'Running') return;
        await runner.run(policy, execution);
      },
    },
  };
}
