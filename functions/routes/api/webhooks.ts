import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { subjectOf } from '../../identity/principal.js';
import type { Project } from '../../identity/stores/project-store.js';
import { webhookServices } from '../../lifecycle/webhook-capability.js';
import type { WebhookTask } from '../../lifecycle/webhook-deliveries.js';
import { type WebhookPolicy, WebhookNameTakenError, webhookEventTypes, webhookPolicySchema } from '../../lifecycle/webhook-policies.js';
import { apiError, idParam, paginate, parseBody, principalOf, projectFor } from './api-context.js';

function present(policy: WebhookPolicy) {
  return {
    id: policy.id,
    name: policy.name,
    description: policy.description,
    project_id: policy.projectId,
    targets: policy.targets,
    event_types: policy.event_types,
    creator: policy.creator,
    creation_time: policy.createdAt,
    update_time: policy.updatedAt,
    enabled: policy.enabled,
  };
}

const lowerStatus: Record<WebhookTask['status'], string> = { Pending: 'pending', Running: 'running', Success: 'finished', Error: 'error' };

/** Harbor's (pre-2.9) `WebhookJob`, with the attempts Berth made. */
function presentJob(task: WebhookTask) {
  return {
    id: task.id,
    policy_id: task.policyId,
    event_type: task.notification.type,
    notify_type: 'http',
    status: lowerStatus[task.status],
    job_detail: JSON.stringify({ type: task.notification.type, occur_at: Math.floor(Date.parse(task.notification.at) / 1000), operator: task.notification.operator, event_data: task.notification.eventData }),
    creation_time: task.createdAt,
    update_time: task.updatedAt,
    attempts: task.attempts,
    attempt_log: task.log,
  };
}

function statusMessage(task: WebhookTask): string {
  return task.log.at(-1)?.error ?? '';
}

/** Harbor 2.9+: an execution per notification, a task per target. */
function executionsOf(tasks: WebhookTask[]) {
  const byExecution = new Map<number, WebhookTask[]>();
  for (const task of tasks) byExecution.set(task.executionId, [...(byExecution.get(task.executionId) ?? []), task]);
  return [...byExecution.values()].map((group) => {
    const first = group[0]!;
    const status = group.some((t) => t.status === 'Running') ? 'Running' : group.some((t) => t.status === 'Pending') ? 'Pending' : group.some((t) => t.status === 'Error') ? 'Error' : 'Success';
    return {
      id: first.executionId,
      vendor_type: 'WEBHOOK',
      vendor_id: first.policyId,
      status,
      status_message: group.map(statusMessage).find(Boolean) ?? '',
      trigger: 'EVENT',
      extra_attrs: { event_type: first.notification.type, payload: JSON.stringify(first.notification.eventData) },
      start_time: first.createdAt,
      end_time: status === 'Success' || status === 'Error' ? group.map((t) => t.updatedAt).sort().at(-1) : '',
      tasks: group,
    };
  });
}

function presentTask(task: WebhookTask) {
  return {
    id: task.id,
    execution_id: task.executionId,
    status: task.status,
    status_message: statusMessage(task),
    run_count: task.attempts,
    extra_attrs: { target_index: task.targetIndex },
    creation_time: task.createdAt,
    start_time: task.createdAt,
    update_time: task.updatedAt,
    end_time: task.status === 'Success' || task.status === 'Error' ? task.updatedAt : '',
  };
}

/**
 * `/api/v2.0/projects/{p}/webhook/...`: policies (project admins), their deliveries as Harbor's
 * webhook jobs and as 2.9's executions and tasks, and the event types on offer.
 */
export function webhookRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const services = (c: Context<AppEnv>) => webhookServices(c.get('deps'));
  const admin = (c: Context<AppEnv>) => projectFor(c, 'update-project');
  async function policyOf(c: Context<AppEnv>, project: Project): Promise<WebhookPolicy> {
    const policy = await services(c).policies.get(project.name, idParam(c, 'id'));
    // A policy of a deleted project that had the same name is not this project's.
    if (!policy || policy.projectId !== project.id) throw apiError(404, 'NOT_FOUND', `webhook policy ${c.req.param('id')} not found`);
    return policy;
  }

  routes.get('/:project_name_or_id/webhook/events', async (c) => {
    await admin(c);
    return c.json({ event_type: webhookEventTypes, notify_type: ['http'], payload_formats: [{ notify_type: 'http', formats: ['Default', 'CloudEvents'] }] });
  });

  routes.get('/:project_name_or_id/webhook/policies', async (c) => {
    const project = await admin(c);
    const policies = (await services(c).policies.list(project.name)).filter((policy) => policy.projectId === project.id);
    return c.json(paginate(c, policies).map(present));
  });

  routes.post('/:project_name_or_id/webhook/policies', async (c) => {
    const project = await admin(c);
    const body = await parseBody(c, webhookPolicySchema);
    const { policies, deliveries } = services(c);
    try {
      const policy = await policies.create(project, body, subjectOf(principalOf(c)));
      await deliveries.ensureSweep();
      c.header('Location', `/api/v2.0/projects/${project.id}/webhook/policies/${policy.id}`);
      return c.body(null, 201);
    } catch (error) {
      if (error instanceof WebhookNameTakenError) throw apiError(409, 'CONFLICT', error.message);
      throw error;
    }
  });

  routes.get('/:project_name_or_id/webhook/policies/:id', async (c) => c.json(present(await policyOf(c, await admin(c)))));

  routes.put('/:project_name_or_id/webhook/policies/:id', async (c) => {
    const policy = await policyOf(c, await admin(c));
    const body = await parseBody(c, webhookPolicySchema);
    try {
      await services(c).policies.update(policy, body);
    } catch (error) {
      if (error instanceof WebhookNameTakenError) throw apiError(409, 'CONFLICT', error.message);
      throw error;
    }
    return c.body(null, 200);
  });

  routes.delete('/:project_name_or_id/webhook/policies/:id', async (c) => {
    await services(c).policies.delete(await policyOf(c, await admin(c)));
    return c.body(null, 200);
  });

  routes.get('/:project_name_or_id/webhook/jobs', async (c) => {
    const project = await admin(c);
    const raw = new URL(c.req.url).searchParams.get('policy_id') ?? '';
    if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw apiError(400, 'BAD_REQUEST', 'policy_id is required');
    const policy = await services(c).policies.get(project.name, Number(raw));
    if (!policy || policy.projectId !== project.id) throw apiError(404, 'NOT_FOUND', `webhook policy ${raw} not found`);
    const tasks = await services(c).deliveries.tasksOf(project.name, policy.id);
    const status = new URL(c.req.url).searchParams.get('status');
    return c.json(paginate(c, tasks.map(presentJob).filter((job) => !status || job.status === status)));
  });

  routes.get('/:project_name_or_id/webhook/policies/:id/executions', async (c) => {
    const project = await admin(c);
    const policy = await policyOf(c, project);
    const executions = executionsOf(await services(c).deliveries.tasksOf(project.name, policy.id));
    return c.json(paginate(c, executions).map(({ tasks: _tasks, ...execution }) => execution));
  });

  async function executionOf(c: Context<AppEnv>) {
    const project = await admin(c);
    const policy = await policyOf(c, project);
    const execution = executionsOf(await services(c).deliveries.tasksOf(project.name, policy.id)).find((e) => e.id === idParam(c, 'eid'));
    if (!execution) throw apiError(404, 'NOT_FOUND', `execution ${c.req.param('eid')} not found`);
    return execution;
  }

  routes.get('/:project_name_or_id/webhook/policies/:id/executions/:eid/tasks', async (c) => c.json(paginate(c, (await executionOf(c)).tasks).map(presentTask)));

  routes.get('/:project_name_or_id/webhook/policies/:id/executions/:eid/tasks/:tid/log', async (c) => {
    const task = (await executionOf(c)).tasks.find((t) => t.id === idParam(c, 'tid'));
    if (!task) throw apiError(404, 'NOT_FOUND', `task ${c.req.param('tid')} not found`);
    const lines = task.log.map((entry, i) => `${entry.at} attempt ${i + 1}: ${entry.error ?? `delivered (${entry.status_code})`}`);
    return c.text(`${[`${task.notification.type} ${task.notification.id} -> target ${task.targetIndex}`, ...lines].join('\n')}\n`);
  });

  return routes;
}
