import type { Context } from 'hono';
import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import type { Job } from '../../core/jobs.js';
import { GcRuns, defaultGraceSeconds, gcScheduleKey, type GcRun } from '../../lifecycle/gc-runs.js';
import { InvalidCronError, ScheduleStore } from '../../schedules/schedule-store.js';
import { apiError, idParam, paginate, parseBody, requireSysadmin } from './api-context.js';

/** The id of garbage collection's schedule in the schedules store. */
const scheduleId = 'gc';

/** Harbor's schedule types and the cron each stands for (six fields, seconds first). */
const presetCrons: Record<string, string> = { Hourly: '0 0 * * * *', Daily: '0 0 0 * * *', Weekly: '0 0 0 * * 0' };

export const gcScheduleSchema = z.object({
  schedule: z.optional(
    z.object({
      type: z.enum(['Hourly', 'Daily', 'Weekly', 'Custom', 'Manual', 'None', 'Schedule']),
      cron: z.optional(z.string()),
    }),
  ),
  parameters: z.optional(
    z.object({
      dry_run: z.optional(z.boolean()),
      delete_untagged: z.optional(z.boolean()),
      grace_seconds: z.optional(z.int().check(z.minimum(0))),
      workers: z.optional(z.int()),
    }),
  ),
});

type ScheduleBody = z.infer<typeof gcScheduleSchema>;

function jobParameters(body: ScheduleBody) {
  return {
    dryRun: body.parameters?.dry_run ?? false,
    deleteUntagged: body.parameters?.delete_untagged ?? false,
    graceSeconds: body.parameters?.grace_seconds ?? defaultGraceSeconds,
  };
}

function harborParameters(parameters: GcRun['parameters']) {
  return { dry_run: parameters.dryRun, delete_untagged: parameters.deleteUntagged, grace_seconds: parameters.graceSeconds };
}

/** Harbor's `GCHistory`. */
function present(run: GcRun) {
  return {
    id: run.id,
    job_name: 'GARBAGE_COLLECTION',
    job_kind: run.kind,
    job_parameters: JSON.stringify({ ...harborParameters(run.parameters), ...(run.result ? { freed_space: run.result.bytesFreed, purged_blobs: run.result.blobsDeleted, purged_manifests: run.result.manifestsDeleted } : {}) }),
    schedule: { type: run.kind === 'MANUAL' ? 'Manual' : 'Custom' },
    job_status: run.status,
    deleted: false,
    creation_time: run.createdAt,
    update_time: run.updatedAt,
  };
}

async function setSchedule(c: Context<AppEnv>, body: ScheduleBody): Promise<Response> {
  const deps = c.get('deps');
  const type = body.schedule?.type ?? 'Manual';
  const parameters = jobParameters(body);
  if (type === 'Manual') {
    const run = await new GcRuns(deps.table, deps.now).create('MANUAL', parameters);
    await deps.queue.enqueue({ version: 1, kind: 'gc-sweep', id: `gc-run-${run.id}`, runId: run.id, ...parameters });
    c.header('Location', `/api/v2.0/system/gc/${run.id}`);
    return c.body(null, 201);
  }
  const schedules = new ScheduleStore(deps.table, deps.queue, deps.now);
  if (type === 'None') {
    await schedules.remove(scheduleId);
    await deps.table.delete(gcScheduleKey);
    return c.body(null, 200);
  }
  const cron = presetCrons[type] ?? body.schedule?.cron;
  if (!cron) throw apiError(400, 'BAD_REQUEST', 'a Custom schedule needs a cron');
  const job: Job = { version: 1, kind: 'gc-sweep', id: 'gc-schedule', ...parameters };
  try {
    await schedules.set(scheduleId, cron, job);
  } catch (error) {
    if (error instanceof InvalidCronError) throw apiError(400, 'BAD_REQUEST', error.message);
    throw error;
  }
  const now = (deps.now?.() ?? new Date()).toISOString();
  const previous = await deps.table.get(gcScheduleKey);
  await deps.table.put({ ...gcScheduleKey, type: type === 'Schedule' ? 'Custom' : type, cron, createdAt: (previous?.createdAt as string | undefined) ?? now, updatedAt: now });
  return c.body(null, type === 'Schedule' ? 200 : 201);
}

/** Harbor's `/api/v2.0/system/gc`: runs now or on a schedule, their history and logs (system admins). */
export function gcRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use('/system/gc/*', async (c, next) => {
    requireSysadmin(c);
    await next();
  });
  routes.use('/system/gc', async (c, next) => {
    requireSysadmin(c);
    await next();
  });

  routes.get('/system/gc/schedule', async (c) => {
    const deps = c.get('deps');
    const [schedule, meta] = await Promise.all([new ScheduleStore(deps.table, deps.queue, deps.now).get(scheduleId), deps.table.get(gcScheduleKey)]);
    if (!schedule) return c.json({ schedule: { type: 'None' }, parameters: {} });
    const job = schedule.job as Extract<Job, { kind: 'gc-sweep' }>;
    return c.json({
      schedule: { type: (meta?.type as string | undefined) ?? 'Custom', cron: schedule.cron, next_scheduled_time: schedule.next },
      parameters: harborParameters({ dryRun: job.dryRun ?? false, deleteUntagged: job.deleteUntagged ?? false, graceSeconds: job.graceSeconds ?? defaultGraceSeconds }),
      creation_time: meta?.createdAt,
      update_time: meta?.updatedAt,
    });
  });
  routes.post('/system/gc/schedule', async (c) => setSchedule(c, await parseBody(c, gcScheduleSchema)));
  routes.put('/system/gc/schedule', async (c) => {
    const body = await parseBody(c, gcScheduleSchema);
    if (body.schedule?.type === 'Manual') throw apiError(400, 'BAD_REQUEST', 'run a manual collection with POST');
    await setSchedule(c, body);
    return c.body(null, 200);
  });

  routes.get('/system/gc', async (c) => {
    const deps = c.get('deps');
    return c.json(paginate(c, await new GcRuns(deps.table, deps.now).list()).map(present));
  });

  routes.get('/system/gc/:gc_id', async (c) => {
    const deps = c.get('deps');
    const run = await new GcRuns(deps.table, deps.now).get(idParam(c, 'gc_id'));
    if (!run) throw apiError(404, 'NOT_FOUND', `gc ${c.req.param('gc_id')} not found`);
    return c.json(present(run));
  });

  routes.get('/system/gc/:gc_id/log', async (c) => {
    const deps = c.get('deps');
    const run = await new GcRuns(deps.table, deps.now).get(idParam(c, 'gc_id'));
    if (!run) throw apiError(404, 'NOT_FOUND', `gc ${c.req.param('gc_id')} not found`);
    return c.text(run.log.join('\n') + (run.log.length > 0 ? '\n' : ''));
  });

  return routes;
}
