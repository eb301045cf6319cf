import { afterEach, describe, expect, test } from 'vitest';
import { createApp } from '../../functions/app.js';
import { PrometheusMetrics } from '../../functions/ops/prometheus-metrics.js';
import { type LocalRegistry, localRegistry, pushImage } from '../support/local-app.js';

let registry: LocalRegistry | undefined;
afterEach(async () => registry?.cleanup());

describe('GET /api/v2.0/health', () => {
  test('every component healthy, with identity off (nothing else of /api/v2.0 is mounted then)', async () => {
    registry = await localRegistry();
    const response = await registry.request('/api/v2.0/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'healthy',
      components: [
        { name: 'storage', status: 'healthy' },
        { name: 'table', status: 'healthy' },
        { name: 'queue', status: 'healthy' },
      ],
    });
  });

  test('a table that fails makes the table and the queue (whose jobs live in it) unhealthy: 503', async () => {
    registry = await localRegistry();
    registry.deps.table.close();
    const response = await registry.request('/api/v2.0/health');
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; components: { name: string; status: string; error?: string }[] };
    expect(body.status).toBe('unhealthy');
    expect(body.components.map((c) => [c.name, c.status])).toEqual([
      ['storage', 'healthy'],
      ['table', 'unhealthy'],
      ['queue', 'unhealthy'],
    ]);
    expect(body.components[1]!.error).toMatch(/not open/);
  });

  test('systeminfo answers with identity off', async () => {
    registry = await localRegistry();
    const body = (await (await registry.request('http://registry.test:5000/api/v2.0/systeminfo')).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ auth_mode: 'none', registry_url: 'registry.test:5000', external_url: 'http://registry.test:5000', read_only: false });
  });
});

describe('/metrics', () => {
  test('requests by route and status, bytes out, queue depth; not served without a metrics sink', async () => {
    registry = await localRegistry();
    expect((await registry.request('/metrics')).status).toBe(404);
    registry.deps.metrics = new PrometheusMetrics(registry.deps.queue);
    const app = createApp(registry.deps);
    const { response } = await pushImage({ request: async (path, init) => app.request(path, init) }, 'metrics/app', 'v1');
    expect(response.status).toBe(201);
    const manifest = await app.request('/v2/metrics/app/manifests/v1');
    const size = Number(manifest.headers.get('content-length'));
    expect(size).toBeGreaterThan(0);
    await app.request('/v2/metrics/app/manifests/nope');
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('berth_http_requests_total{route="end-3",method="GET",status="200"} 1');
    expect(text).toContain('berth_http_requests_total{route="end-3",method="GET",status="404"} 1');
    expect(text).toContain('berth_http_requests_total{route="end-7",method="PUT",status="201"} 1');
    expect(text).toMatch(/berth_http_request_duration_seconds_count\{route="end-3",method="GET"\} 2/);
    expect(text).toMatch(new RegExp(`berth_http_bytes_total\\{direction="out"\\} ${size}\\b`));
    expect(text).toMatch(/berth_http_bytes_total\{direction="in"\} [1-9]\d*\b/);
    expect(text).toMatch(/berth_queue_depth\{queue="short"\} \d+/);
    expect(text).toContain('berth_uploads_in_flight 0');
  });
});
