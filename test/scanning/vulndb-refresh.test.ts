import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ScheduleStore } from '../../functions/schedules/schedule-store.js';
import { type ScanningApp, fixtures, scanningApp } from './support/scanning-app.js';

let server: Server;
let t: ScanningApp;
let served: Buffer;
let hits = 0;

function zipOf(dir: string): Buffer {
  const out = execFileSync('python3', ['-c', 'import sys, zipfile, os, io\nb = io.BytesIO()\nz = zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED)\nfor f in sorted(os.listdir(sys.argv[1])): z.write(os.path.join(sys.argv[1], f), f)\nz.close()\nsys.stdout.buffer.write(b.getvalue())', dir]);
  return out;
}

beforeAll(async () => {
  served = zipOf(join(fixtures, 'osv-update'));
  server = createServer((request, response) => {
    hits++;
    if (request.url !== '/npm/all.zip') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/zip' }).end(served);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/npm/all.zip`;
  t = await scanningApp({ BERTH_VULNDB_URL: url, BERTH_VULNDB_REFRESH_CRON: '0 15 */2 * * *' });
});
afterAll(async () => {
  server.close();
  await t.cleanup();
});

async function refreshed(id: string): Promise<void> {
  const before = hits;
  await t.deps.queue.enqueue({ version: 1, kind: 'vulndb-refresh', id });
  const until = Date.now() + 10_000;
  while (hits === before || (await t.deps.table.query('queue#jobs-long')).some((item) => (item.job as { id: string }).id === id)) {
    if (Date.now() > until) throw new Error('refresh did not run');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('scheduled refresh of the vulnerability data from a URL', () => {
  test('the schedule is set from the settings', async () => {
    const schedule = await new ScheduleStore(t.deps.table, t.deps.queue).get('vulndb-refresh');
    expect(schedule).toMatchObject({ cron: '0 15 */2 * * *', job: { kind: 'vulndb-refresh' } });
  });

  test('a changed archive is imported (new generation); the same archive again changes nothing', async () => {
    const first = await t.scanning.service.db.meta();
    await refreshed('refresh-1');
    const second = await t.scanning.service.db.meta();
    expect(second?.generation).not.toBe(first?.generation);
    expect(second?.archiveDigest).toMatch(/^sha256:/);
    expect((await t.scanning.service.db.advisories('npm', 'lodash')).map((a) => a.id)).toContain('GHSA-29mw-wpgm-hmr9');
    await refreshed('refresh-2');
    expect((await t.scanning.service.db.meta())?.generation).toBe(second?.generation);
  });

  test('an archive that is not a zip leaves the data as it was', async () => {
    const before = await t.scanning.service.db.meta();
    served = Buffer.from(readFileSync(join(fixtures, 'broken-osv.json')));
    await t.deps.queue.enqueue({ version: 1, kind: 'vulndb-refresh', id: 'refresh-3' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await t.scanning.service.db.meta())?.generation).toBe(before?.generation);
  });
});
