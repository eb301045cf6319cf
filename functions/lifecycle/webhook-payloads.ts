import type { NotifyJob, RegistryEvent } from '../core/jobs.js';
import { projectOf } from '../identity/stores/project-store.js';
import type { WebhookEventType, WebhookPolicy } from './webhook-policies.js';

/**
 * What a webhook says, independent of its format: Harbor's event type, when, who, and its
 * `event_data` (Harbor's payload model: `resources` and `repository` for artifact events,
 * whatever the notifying capability gave for the others).
 */
export interface Notification {
  /** Unique per occurrence: deliveries are de-duplicated on it. */
  id: string;
  type: WebhookEventType;
  project: string;
  at: string;
  operator: string;
  eventData: Record<string, unknown>;
}

/** The registry event's webhook type; null for events no webhook reports (a tag removal). */
export function eventTypeOf(event: RegistryEvent): WebhookEventType | null {
  switch (event.action) {
    case 'push':
      return 'PUSH_ARTIFACT';
    case 'pull':
      return 'PULL_ARTIFACT';
    case 'delete':
      return 'DELETE_ARTIFACT';
    case 'untag':
      return null;
  }
}

/**
 * Harbor's artifact event data. `host` is where clients pull from (BERTH_EXTERNAL_HOST); without
 * it `resource_url` is the repository reference alone.
 */
export function notificationOfEvent(event: RegistryEvent, isPublic: boolean, host: string | undefined): Notification | null {
  const type = eventTypeOf(event);
  if (!type) return null;
  const project = projectOf(event.repository);
  const name = event.repository.slice(project.length + 1) || event.repository;
  const reference = event.tag ? `${event.repository}:${event.tag}` : `${event.repository}@${event.digest}`;
  const resource: Record<string, unknown> = {
    digest: event.digest,
    ...(event.tag ? { tag: event.tag } : {}),
    resource_url: host ? `${host}/${reference}` : reference,
    ...(event.action === 'delete' && event.size !== undefined ? { size: event.size } : {}),
    ...(event.action === 'pull' && event.count !== undefined ? { count: event.count } : {}),
  };
  return {
    id: event.id,
    type,
    project,
    at: event.at,
    operator: event.actor ?? (event.action === 'pull' ? 'anonymous' : 'system'),
    eventData: {
      resources: [resource],
      repository: {
        date_created: Math.floor(Date.parse(event.at) / 1000),
        name,
        namespace: project,
        repo_full_name: event.repository,
        repo_type: isPublic ? 'public' : 'private',
      },
    },
  };
}

export function notificationOfJob(job: NotifyJob): Notification {
  return { id: job.id, type: job.eventType, project: job.project, at: job.at, operator: job.operator ?? 'system', eventData: job.payload };
}

/** CloudEvents `type` of each Harbor event type (Harbor 2.8's names). */
const cloudEventTypes: Record<WebhookEventType, string> = {
  PUSH_ARTIFACT: 'harbor.artifact.pushed',
  PULL_ARTIFACT: 'harbor.artifact.pulled',
  DELETE_ARTIFACT: 'harbor.artifact.deleted',
  QUOTA_EXCEED: 'harbor.quota.exceeded',
  QUOTA_WARNING: 'harbor.quota.warning',
  SCANNING_COMPLETED: 'harbor.scan.completed',
  SCANNING_FAILED: 'harbor.scan.failed',
  SCANNING_STOPPED: 'harbor.scan.stopped',
  REPLICATION: 'harbor.replication.status.changed',
  TAG_RETENTION: 'harbor.tag_retention.finished',
};

/** The body and content type a target with `format` is sent. */
export function renderPayload(
  notification: Notification,
  policy: Pick<WebhookPolicy, 'id' | 'projectId'>,
  format: 'Default' | 'CloudEvents',
): { body: string; contentType: string } {
  if (format === 'CloudEvents') {
    return {
      contentType: 'application/cloudevents+json',
      body: JSON.stringify({
        specversion: '1.0',
        id: notification.id,
        requestid: notification.id,
        source: `/projects/${policy.projectId}/webhook/policies/${policy.id}`,
        type: cloudEventTypes[notification.type],
        datacontenttype: 'application/json',
        time: notification.at,
        operator: notification.operator,
        data: notification.eventData,
      }),
    };
  }
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      type: notification.type,
      occur_at: Math.floor(Date.parse(notification.at) / 1000),
      operator: notification.operator,
      event_data: notification.eventData,
    }),
  };
}
