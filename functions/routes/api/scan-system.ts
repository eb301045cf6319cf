import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { InvalidCronError, ScheduleStore } from '../../schedules/schedule-store.js';
import { scanAllScheduleId, scanningOf } from '../../scanning/scanning-capability.js';
import { apiError, parseBody, principalOf, refuse, requireSysadmin } from './api-context.js';

export const scanScheduleSchema = z.object({
  schedule: z.object({
    type: z.enum(['None', 'Hourly', 'Daily', 'Weekly', 'Custom', 'Manual']),
    cron: z.optional(z.string()),
  }),
  parameters: z.optional(z.record(z.string(), z.unknown())),
});

/** Harbor's fixed schedule types as cron (six fields, seconds first, as Harbor writes them). */
const presets: Record<string, string> = { Hourly: '0 0 * * * *', Daily: '0 0 0 * * *', Weekly: '0 0 0 * * 0' };

export const cveAllowlistSchema = z.object({
  expires_at: z.optional(z.nullable(z.int().check(z.nonnegative()))),
  items: z.optional(z.array(z.object({ cve_id: z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9_.:-]+$/)) }))),
  project_id: z.optional(z.int()),
  id: z.optional(z.int()),
});

/**
 * `/api/v2.0/system/scanAll/*` and `/api/v2.0/system/CVEAllowlist`: scan everything now or on a
 * schedule, and the system CVE allowlist. System admins change them; anyone logged in may read
 * the allowlist (Harbor lets every user see what is exempt).
 */
export function scanSystemRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const schedules = (c: { get(key: 'deps'): AppEnv['Variables']['deps'] }) => {
    const deps = c.get('deps');
    return new ScheduleStore(deps.table, deps.queue, () => deps.now?.() ?? new Date());
  };

  routes.post('/system/scanAll/now', async (c) => {
    requireSysadmin(c);
    const deps = c.get('deps');
    await deps.queue.enqueue({ version: 1, kind: 'scan-all', id: `scan-all-${crypto.randomUUID()}` });
    return c.body(null, 201);
  });

  routes.get('/system/scanAll/schedule', async (c) => {
    requireSysadmin(c);
    const schedule = await schedules(c).get(scanAllScheduleId);
    if (!schedule) return c.json({ schedule: { type: 'None', cron: '' } });
    const type = Object.entries(presets).find(([, cron]) => cron === schedule.cron)?.[0] ?? 'Custom';
    return c.json({ schedule: { type, cron: schedule.cron, next_scheduled_time: schedule.next } });
  });

  const setSchedule = async (c: Parameters<typeof requireSysadmin>[0]) => {
    requireSysadmin(c);
    const body = await parseBody(c, scanScheduleSchema);
    const store = schedules(c);
    const { type } = body.schedule;
    if (type === 'None' || type === 'Manual') {
      await store.remove(scanAllScheduleId);
      return c.body(null, 200);
    }
    const cron = presets[type] ?? body.schedule.cron ?? '';
    if (cron === '') throw apiError(400, 'BAD_REQUEST', 'a Custom schedule needs a cron expression');
    try {
      await store.set(scanAllScheduleId, cron, { version: 1, kind: 'scan-all', id: scanAllScheduleId });
    } catch (error) {
      if (error instanceof InvalidCronError) throw apiError(400, 'BAD_REQUEST', error.message);
      throw error;
    }
    return c.body(null, 200);
  };
  routes.post('/system/scanAll/schedule', (c) => setSchedule(c));
  routes.put('/system/scanAll/schedule', (c) => setSchedule(c));

  routes.get('/system/CVEAllowlist', async (c) => {
    if (principalOf(c).kind === 'anonymous') throw refuse(c);
    return c.json(await scanningOf(c.get('deps')).service.allowlist.system());
  });

  routes.put('/system/CVEAllowlist', async (c) => {
    requireSysadmin(c);
    const body = await parseBody(c, cveAllowlistSchema);
    const deps = c.get('deps');
    const { service } = scanningOf(deps);
    await service.allowlist.setSystem({ expires_at: body.expires_at ?? null, items: body.items ?? [] });
    // Every stored pull-gate summary was flagged against the old list.
    await deps.queue.enqueue({ version: 1, kind: 'scan-gate-refresh', id: `gates-${crypto.randomUUID()}` });
    return c.body(null, 200);
  });

  return routes;
}
