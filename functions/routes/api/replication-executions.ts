import { Hono } from 'hono';
import type { Context } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import type { ExecutionRecord, ExecutionSummary, TaskRecord } from '../../replication/execution-store.js';
import { replicatorFor } from '../../replication/replicators.js';
import { apiError, idParam, paginate, parseBody, requireSysadmin } from './api-context.js';

export const startExecutionSchema = z.object({ policy_id: z.int().check(z.positive()) });

function presentExecution(summary: ExecutionSummary) {
  return {
    id: summary.id,
    policy_id: summary.policyId,
    status: summary.status,
    trigger: summary.trigger,
    start_time: summary.startTime,
    end_time: summary.endTime ?? null,
    status_text: summary.statusText,
    total: summary.total,
    failed: summary.failed,
    succeed: summary.succeed,
    in_progress: summary.inProgress,
    stopped: summary.stopped,
  };
}

function presentTask(task: TaskRecord) {
  return {
    id: task.id,
    execution_id: task.executionId,
    resource_type: 'image',
    src_resource: `${task.srcResource}${task.operation === 'copy' ? ` [${task.references.length} artifact(s)]` : ''}`,
    dst_resource: task.dstResource,
    operation: task.operation,
    job_id: String(task.id),
    status: task.status,
    status_text: task.message ?? '',
    start_time: task.startTime ?? null,
    end_time: task.endTime ?? null,
  };
}

async function executionOf(c: Context<AppEnv>): Promise<ExecutionRecord> {
  const execution = await replicatorFor(c.get('deps')).executions.getExecution(idParam(c, 'id'));
  if (!execution) throw apiError(404, 'NOT_FOUND', 'execution not found');
  return execution;
}

/** `/api/v2.0/replication/executions`: runs of policies, their tasks and logs. System admin only. */
export function replicationExecutionRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use(async (c, next) => {
    requireSysadmin(c);
    await next();
  });

  routes.post('/', async (c) => {
    const body = await parseBody(c, startExecutionSchema);
    const replicator = replicatorFor(c.get('deps'));
    const policy = await replicator.policies.get(body.policy_id);
    if (!policy) throw apiError(404, 'NOT_FOUND', `replication policy ${body.policy_id} not found`);
    if (!policy.enabled) throw apiError(412, 'PRECONDITION', `replication policy ${policy.name} is disabled`);
    const execution = await replicator.start(policy, 'MANUAL');
    c.header('Location', `/api/v2.0/replication/executions/${execution.id}`);
    return c.body(null, 201);
  });

  routes.get('/', async (c) => {
    const executions = replicatorFor(c.get('deps')).executions;
    const policyId = c.req.query('policy_id');
    const status = c.req.query('status');
    const trigger = c.req.query('trigger');
    if (policyId !== undefined && !/^[0-9]+$/.test(policyId)) throw apiError(400, 'BAD_REQUEST', 'policy_id must be a number');
    const selected = (await executions.listExecutions()).filter(
      (e) => (policyId === undefined || e.policyId === Number(policyId)) && (trigger === undefined || e.trigger === trigger),
    );
    // Status is derived from tasks; summarizing only the page keeps a long history cheap.
    if (status === undefined) return c.json(await Promise.all(paginate(c, selected).map(async (e) => presentExecution(await executions.summary(e)))));
    const summaries = (await Promise.all(selected.map((e) => executions.summary(e)))).filter((s) => s.status === status);
    return c.json(paginate(c, summaries).map(presentExecution));
  });

  routes.get('/:id', async (c) => {
    const summary = await replicatorFor(c.get('deps')).executions.summary(await executionOf(c));
    return c.json(presentExecution(summary));
  });

  // Harbor: PUT /replication/executions/{id} stops the execution.
  routes.put('/:id', async (c) => {
    const execution = await executionOf(c);
    await replicatorFor(c.get('deps')).stop(execution);
    return c.body(null, 200);
  });

  routes.get('/:id/tasks', async (c) => {
    const execution = await executionOf(c);
    const status = c.req.query('status');
    const tasks = (await replicatorFor(c.get('deps')).executions.tasks(execution.id)).filter((t) => status === undefined || t.status === status);
    return c.json(paginate(c, tasks).map(presentTask));
  });

  routes.get('/:id/tasks/:task_id/log', async (c) => {
    const execution = await executionOf(c);
    const executions = replicatorFor(c.get('deps')).executions;
    const task = await executions.getTask(execution.id, idParam(c, 'task_id'));
    if (!task) throw apiError(404, 'NOT_FOUND', 'task not found');
    const log = (await executions.log(task.id)) ?? '';
    return c.text(log, 200, { 'content-type': 'text/plain; charset=utf-8' });
  });

  return routes;
}
