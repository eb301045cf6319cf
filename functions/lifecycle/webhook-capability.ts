import type { AppDeps } from '../app-env.js';
import type { Capability } from '../capability.js';
import type { Config } from '../config.js';
import { projectOf } from '../identity/stores/project-store.js';
import { defaultDeliverySettings, WebhookDeliveries } from './webhook-deliveries.js';
import { eventTypeOf, notificationOfEvent, notificationOfJob } from './webhook-payloads.js';
import { WebhookPolicies } from './webhook-policies.js';
import { sendWebhook } from './webhook-sender.js';

/** The webhook services over the deps, as the routes and the worker use them. */
export function webhookServices(deps: Pick<AppDeps, 'table' | 'queue' | 'now'>, config: Partial<Config> = {}) {
  const policies = new WebhookPolicies(deps.table, deps.now);
  const maxAttempts = config.BERTH_WEBHOOK_MAX_ATTEMPTS === undefined ? defaultDeliverySettings.maxAttempts : Number(config.BERTH_WEBHOOK_MAX_ATTEMPTS);
  const deliveries = new WebhookDeliveries(deps, policies, sendWebhook, { ...defaultDeliverySettings, maxAttempts });
  return { policies, deliveries };
}

/**
 * Webhooks: registry events (push, pull, delete) and `notify` jobs from other capabilities (quota,
 * scanning, replication) become delivery tasks for the project's policies; the worker delivers
 * them (`webhook-delivery`) and retries what failed (`webhook-retry-sweep`).
 */
export function webhookCapability(deps: AppDeps, config: Partial<Config> = {}): Capability {
  const { policies, deliveries } = webhookServices(deps, config);
  const host = config.BERTH_EXTERNAL_HOST;
  return {
    name: 'webhooks',
    onEvent: async (event) => {
      const type = eventTypeOf(event);
      const name = projectOf(event.repository);
      // Most projects have no policy for most events: one query, and nothing more, decides that.
      if (!type || !(await policies.list(name)).some((policy) => policy.enabled && policy.event_types.includes(type))) return;
      const project = deps.identity ? await deps.identity.projects.get(name) : null;
      const notification = notificationOfEvent(event, project ? project.public : true, host);
      if (notification) await deliveries.notify(notification, project?.id);
    },
    jobs: {
      notify: async (job) => {
        const project = deps.identity ? await deps.identity.projects.get(job.project) : null;
        await deliveries.notify(notificationOfJob(job), project?.id);
      },
      'webhook-delivery': (job) => deliveries.deliver(job.task),
      'webhook-retry-sweep': async () => {
        await deliveries.sweep();
      },
    },
  };
}
