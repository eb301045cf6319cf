/**
 * Replication speed, Berth → Berth, against skopeo between the same two registries, in one run.
 * Both Berths are `npm start` processes (the embedded default) with identity on; Berth's copies
 * run in the source Berth's own worker, started through the management API.
 *
 * - one 200 MiB two-layer image (2 × 100 MiB, fresh random layers every run): `skopeo copy`
 *   docker → docker versus a manual execution of a push-mode policy; BENCH_RUNS runs each
 *   (default 3), alternating which goes first, median wall time;
 * - BENCH_IMAGES images (default 500) with a 1 KiB layer each, as tags of one repository:
 *   `skopeo sync --src docker --dest docker` versus one execution; images per second.
 *
 *   npm run bench:replication
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { HttpRemoteRegistry } from '../functions/adapters/http/http-remote-registry.js';
import { startBerthServer, repoRoot } from '../test/e2e/support/berth-server.js';
import { createContainersTools } from '../test/e2e/support/containers-tools.js';
import { MiB, OciLayout } from '../test/e2e/support/oci-layout.js';
import { makeTempDir, run } from '../test/e2e/support/process.js';
import type { RegistryServer } from '../test/e2e/support/registry-server.js';
import { pushImage } from '../test/replication/support/images.js';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const imageCount = Number(process.env.BENCH_IMAGES ?? 500);
const password = 'Bench-Passw0rd';
const creds = `admin:${password}`;
const auth = { authorization: `Basic ${Buffer.from(creds).toString('base64')}` };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function timed(step: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await step();
  return (performance.now() - started) / 1000;
}

async function api(registry: RegistryServer, path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${registry.url}/api/v2.0${path}`, { ...init, headers: { ...auth, 'content-type': 'application/json', ...init.headers } });
  if (response.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

const idOf = (response: Response) => Number(response.headers.get('location')!.split('/').pop());

/**
 * Runs a policy once; resolves when `arrived` says the content is at the destination (the clock
 * stops there, as skopeo's does after its last PUT), then checks that the execution succeeded.
 * `arrived` asks the destination's /v2 with a cached token: polling the management API instead
 * would hash the admin password on the source for every poll, on the cores doing the copy.
 */
async function replicate(source: RegistryServer, policyId: number, arrived: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  const id = idOf(await api(source, '/replication/executions', { method: 'POST', body: JSON.stringify({ policy_id: policyId }) }));
  while (!(await arrived())) await new Promise((resolve) => setTimeout(resolve, 25));
  const seconds = (performance.now() - started) / 1000;
  for (;;) {
    const execution = (await (await api(source, `/replication/executions/${id}`)).json()) as { status: string; status_text: string };
    if (execution.status === 'Succeed') return seconds;
    if (execution.status !== 'InProgress') throw new Error(`execution ${id} ended ${execution.status}: ${execution.status_text}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  const work = await makeTempDir('bench-repl');
  const tools = await createContainersTools();
  const env = { BERTH_ADMIN_PASSWORD: password };
  const [source, destination] = await Promise.all([startBerthServer({ env }), startBerthServer({ env })]);
  const big = { skopeo: [] as number[], berth: [] as number[] };
  const many = { skopeo: 0, berth: 0 };
  try {
    const registry = idOf(
      await api(source, '/registries', {
        method: 'POST',
        body: JSON.stringify({ name: 'destination', type: 'harbor', url: destination.url, insecure: true, credential: { type: 'basic', access_key: 'admin', access_secret: password } }),
      }),
    );
    const sourceClient = new HttpRemoteRegistry({ url: source.url, credential: { username: 'admin', password } });
    const destinationClient = new HttpRemoteRegistry({ url: destination.url, credential: { username: 'admin', password } });

    for (let index = 1; index <= runs; index += 1) {
      const layout = await OciLayout.create(join(work.path, `image-${index}`));
      const image = await layout.addImage({ layerSizes: [100 * MiB, 100 * MiB] });
      await layout.tag(image.manifest, 'v1');
      await tools.skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:v1`, `docker://${source.host}/bench/big-${index}:v1`]);
      await run('rm', ['-rf', layout.dir]);
      const policy = idOf(
        await api(source, '/replication/policies', {
          method: 'POST',
          body: JSON.stringify({ name: `big-${index}`, dest_registry: { id: registry }, dest_namespace: 'replicated', filters: [{ type: 'name', value: `bench/big-${index}` }] }),
        }),
      );
      const steps = {
        skopeo: () => timed(() => tools.skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds, `docker://${source.host}/bench/big-${index}:v1`, `docker://${destination.host}/copied/big-${index}:v1`])),
        berth: () => replicate(source, policy, async () => (await destinationClient.headManifest(`replicated/big-${index}`, 'v1')) !== null),
      };
      const order = index % 2 === 1 ? (['skopeo', 'berth'] as const) : (['berth', 'skopeo'] as const);
      for (const who of order) {
        await run('sync', []);
        big[who].push(await steps[who]());
      }
      console.log(`run ${index}: skopeo copy ${big.skopeo.at(-1)!.toFixed(2)} s, Berth replication ${big.berth.at(-1)!.toFixed(2)} s`);
    }

    console.log(`pushing ${imageCount} small images to the source...`);
    for (let i = 0; i < imageCount; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, imageCount - i) }, (_, j) => pushImage(sourceClient, 'bench/many', `t${i + j}`, { layerBytes: 1024 })));
    }
    const policy = idOf(
      await api(source, '/replication/policies', {
        method: 'POST',
        body: JSON.stringify({ name: 'many', dest_registry: { id: registry }, dest_namespace: 'replicated', filters: [{ type: 'name', value: 'bench/many' }] }),
      }),
    );
    await run('sync', []);
    many.berth = await replicate(source, policy, async () => (await destinationClient.tags('replicated/many')).length === imageCount);
    await run('sync', []);
    many.skopeo = await timed(() =>
      tools.skopeo(['sync', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds, `${source.host}/bench/many`, `${destination.host}/synced`], { timeoutMs: 1_800_000 }),
    );
    console.log(`${imageCount} images: skopeo sync ${many.skopeo.toFixed(2)} s, Berth replication ${many.berth.toFixed(2)} s`);
  } finally {
    await Promise.all([source.stop(), destination.stop()]);
    await tools.remove();
    await work.remove();
  }

  const load = loadavg().map((value) => Number(value.toFixed(2)));
  const rows = [
    {
      metric: `200 MiB two-layer image, Berth → Berth (median of ${runs}, s)`,
      berth: median(big.berth),
      skopeo: median(big.skopeo),
      ratio: median(big.berth) / median(big.skopeo),
      target: 'Berth ≤ 1.2× skopeo copy',
    },
    {
      metric: `${imageCount} images with a 1 KiB layer (images/s)`,
      berth: imageCount / many.berth,
      skopeo: imageCount / many.skopeo,
      ratio: many.skopeo / many.berth,
      target: 'Berth ≥ 0.5× skopeo sync',
    },
  ];
  console.log(`\nload average at the end: ${load.join(' ')}`);
  console.log('\n| metric | Berth replication | skopeo | Berth ÷ skopeo | target |');
  console.log('|---|---:|---:|---:|---|');
  for (const row of rows) console.log(`| ${row.metric} | ${row.berth.toFixed(2)} | ${row.skopeo.toFixed(2)} | ${row.ratio.toFixed(2)}× | ${row.target} |`);
  const resultsDir = join(repoRoot, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'replication.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage: load, runs, imageCount, big, many, rows }, null, 2)}\n`);
  console.log('\nwrote bench/results/replication.json');
}

await main();
