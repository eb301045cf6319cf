import { Hono } from 'hono';
import type { Context } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import type { Action } from '../../identity/rbac.js';
import type { Project } from '../../identity/stores/project-store.js';
import { retentionServices } from '../../lifecycle/retention-capability.js';
import { type RetentionExecution, type RetentionPolicy, type RetentionPolicyInput, type RetentionTask, retentionPolicySchema } from '../../lifecycle/retention-policies.js';
import { retentionTemplates } from '../../lifecycle/retention-rules.js';
import { InvalidCronError, nextRun } from '../../schedules/schedule-store.js';
import { apiError, idParam, identityOf, paginate, parseBody, principalOf, refuse } from './api-context.js';

export const retentionExecutionSchema = z.object({ dry_run: z._default(z.boolean(), false) });
export const retentionStopSchema = z.object({ action: z.literal('stop') });

function present(policy: RetentionPolicy) {
  return { id: policy.id, algorithm: policy.algorithm, rules: policy.rules, trigger: policy.trigger, scope: policy.scope };
}

function presentExecution(execution: RetentionExecution) {
  return {
    id: execution.id,
    policy_id: execution.policyId,
    start_time: execution.startTime,
    end_time: execution.endTime,
    status: execution.status,
    trigger: execution.trigger,
    dry_run: execution.dryRun,
  };
}

function presentTask(task: RetentionTask) {
  return {
    id: task.id,
    execution_id: task.executionId,
    repository: task.repository,
    job_id: `${task.executionId}-${task.id}`,
    status: task.status,
    status_code: task.status === 'Succeed' ? 3 : task.status === 'Failed' ? 4 : 2,
    status_revision: 0,
    start_time: task.startTime,
    end_time: task.endTime,
    total: task.total,
    retained: task.retained,
  };
}

/** The project a policy's scope names, provided the caller may do `action` on it. */
async function projectAllowing(c: Context<AppEnv>, projectId: number, action: Action): Promise<Project> {
  const identity = identityOf(c);
  const project = await identity.projects.getById(projectId);
  if (!project) throw principalOf(c).kind === 'anonymous' ? refuse(c) : apiError(404, 'NOT_FOUND', `project ${projectId} not found`);
  const { actions } = await identity.access.actionsOn(principalOf(c), project.name);
  if (!actions.has(action)) throw refuse(c);
  return project;
}

function checkCron(input: RetentionPolicyInput, now: Date): void {
  const cron = input.trigger.settings.cron.trim();
  if (!cron) return;
  try {
    nextRun(cron, now);
  } catch (error) {
    if (error instanceof InvalidCronError) throw apiError(400, 'BAD_REQUEST', error.message);
    throw error;
  }
}

/**
 * `/api/v2.0/retentions`: Harbor's tag retention API. Project admins manage a project's policy and
 * run it; members who can see the project's members can read it and its history.
 */
export function retentionRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const services = (c: Context<AppEnv>) => retentionServices(c.get('deps'));
  const now = (c: Context<AppEnv>) => c.get('deps').now?.() ?? new Date();

  async function policyFor(c: Context<AppEnv>, action: Action): Promise<RetentionPolicy> {
    const policy = await services(c).policies.get(idParam(c, 'id'));
    if (!policy) throw principalOf(c).kind === 'anonymous' ? refuse(c) : apiError(404, 'NOT_FOUND', `retention policy ${c.req.param('id')} not found`);
    await projectAllowing(c, policy.scope.ref, action);
    return policy;
  }

  routes.get('/metadatas', (c) =>
    c.json({
      templates: retentionTemplates.map((rule_template) => ({
        rule_template,
        display_text: rule_template,
        action: 'retain',
        params: rule_template === 'always' ? [] : [{ type: 'int', unit: rule_template.startsWith('nDays') ? 'DAYS' : 'COUNT', required: true }],
      })),
      scope_selectors: [{ kind: 'doublestar', decorations: ['repoMatches', 'repoExcludes'] }],
      tag_selectors: [{ kind: 'doublestar', decorations: ['matches', 'excludes'] }],
    }),
  );

  routes.post('/', async (c) => {
    const body = await parseBody(c, retentionPolicySchema);
    const project = await projectAllowing(c, body.scope.ref, 'update-project');
    checkCron(body, now(c));
    const { policies, schedule } = services(c);
    const existing = project.metadata.retention_id;
    if (existing && (await policies.get(Number(existing)))) {
      throw apiError(409, 'CONFLICT', `project ${project.name} already has retention policy ${existing}: update it instead`);
    }
    const policy = await policies.create(body, project.name);
    await identityOf(c).projects.updateMetadata(project.name, { retention_id: String(policy.id) });
    await schedule(policy);
    c.header('Location', `/api/v2.0/retentions/${policy.id}`);
    return c.body(null, 201);
  });

  routes.get('/:id', async (c) => c.json(present(await policyFor(c, 'list-members'))));

  routes.put('/:id', async (c) => {
    const current = await policyFor(c, 'update-project');
    const body = await parseBody(c, retentionPolicySchema);
    if (body.scope.ref !== current.scope.ref) throw apiError(400, 'BAD_REQUEST', 'a policy stays with its project: scope.ref cannot change');
    checkCron(body, now(c));
    const policy: RetentionPolicy = { ...body, id: current.id, project: current.project };
    const { policies, schedule } = services(c);
    await policies.update(policy);
    await schedule(policy);
    return c.body(null, 200);
  });

  routes.delete('/:id', async (c) => {
    const policy = await policyFor(c, 'update-project');
    const { policies, unschedule } = services(c);
    await unschedule(policy.id);
    await policies.delete(policy.id);
    return c.body(null, 200);
  });

  routes.post('/:id/executions', async (c) => {
    const policy = await policyFor(c, 'update-project');
    const body = await parseBody(c, retentionExecutionSchema);
    const deps = c.get('deps');
    const execution = await services(c).policies.openExecution(policy.id, body.dry_run, 'MANUAL', (id) => [
      deps.queue.enqueueOp({ version: 1, kind: 'retention-run', id: `retention-${policy.id}-run-${id}`, policyId: policy.id, executionId: id, dryRun: body.dry_run }),
    ]);
    c.header('Location', `/api/v2.0/retentions/${policy.id}/executions/${execution.id}`);
    return c.body(null, 201);
  });

  routes.get('/:id/executions', async (c) => {
    const policy = await policyFor(c, 'list-members');
    return c.json(paginate(c, await services(c).policies.executions(policy.id)).map(presentExecution));
  });

  async function executionFor(c: Context<AppEnv>, action: Action): Promise<RetentionExecution> {
    const policy = await policyFor(c, action);
    const execution = await services(c).policies.execution(policy.id, idParam(c, 'eid'));
    if (!execution) throw apiError(404, 'NOT_FOUND', `execution ${c.req.param('eid')} not found`);
    return execution;
  }

  routes.patch('/:id/executions/:eid', async (c) => {
    const execution = await executionFor(c, 'update-project');
    await parseBody(c, retentionStopSchema);
    await services(c).policies.finishExecution(execution, 'Stopped');
    return c.body(null, 200);
  });

  routes.get('/:id/executions/:eid/tasks', async (c) => {
    const execution = await executionFor(c, 'list-members');
    return c.json(paginate(c, await services(c).policies.tasks(execution.policyId, execution.id)).map(presentTask));
  });

  routes.get('/:id/executions/:eid/tasks/:tid', async (c) => {
    const execution = await executionFor(c, 'list-members');
    const task = await services(c).policies.task(execution.policyId, execution.id, idParam(c, 'tid'));
    if (!task) throw apiError(404, 'NOT_FOUND', `task ${c.req.param('tid')} not found`);
    return c.text(`${[`repository ${task.repository}: ${task.total} artifacts, ${task.retained} retained${execution.dryRun ? ' (dry run)' : ''}`, ...task.log].join('\n')}\n`);
  });

  return routes;
}
