import { Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { checkHealth } from '../../ops/health.js';
import { berthVersion } from '../../ops/version.js';

/**
 * Harbor's unauthenticated operations endpoints, answered whether identity is on or off:
 * `GET /health` (200 healthy, 503 when a component is not) and `GET /systeminfo`.
 */
export function opsRoutes(): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.get('/health', async (c) => {
    const health = await checkHealth(c.get('deps'));
    return c.json(health, health.status === 'healthy' ? 200 : 503);
  });
  api.get('/systeminfo', async (c) => {
    const identity = c.get('deps').identity;
    const url = new URL(c.req.url);
    const settings = identity ? await identity.config.get() : undefined;
    return c.json({
      auth_mode: settings?.auth_mode ?? 'none',
      primary_auth_mode: false,
      self_registration: false,
      harbor_version: `berth-v${berthVersion}`,
      registry_url: url.host,
      external_url: url.origin,
      read_only: false,
      with_notary: false,
      with_chartmuseum: false,
      has_ca_root: false,
      notification_enable: true,
      project_creation_restriction: settings?.project_creation_restriction ?? 'everyone',
      banner_message: '',
      current_time: (c.get('deps').now?.() ?? new Date()).toISOString(),
    });
  });
  return api;
}
