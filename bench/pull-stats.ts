/**
 * Manifest GET by tag with pull statistics counting every request, Berth (embedded default, auth
 * on, a bearer token as clients send) against CNCF Distribution 2.8 (no auth), in one run: wrk at
 * 32 connections for BENCH_SECONDS (default 10), BENCH_RUNS rounds (default 2) alternating between
 * the two. Then Berth is stopped with SIGTERM (which flushes what it holds) and its database is
 * read: the pull count stored must equal the 2xx answers wrk got, and the number of `pull`
 * events says how many writes the counting cost.
 *
 *   npx tsx bench/pull-stats.ts
 */
import Database from 'better-sqlite3';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { startBerthServer } from '../test/e2e/support/berth-server.js';
import { startDistribution } from '../test/e2e/support/distribution-server.js';
import { MediaType } from '../test/e2e/support/oci-layout.js';
import { makeTempDir, run } from '../test/e2e/support/process.js';
import type { RegistryServer } from '../test/e2e/support/registry-server.js';

const runs = Number(process.env.BENCH_RUNS ?? 2);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const password = 'Bench-Passw0rd';
const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
const repository = 'bench/pulled';

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function pushImage(registry: RegistryServer, headers: Record<string, string>): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = Buffer.from('a small layer');
  for (const blob of [config, layer]) {
    // POST, then one PUT with the bytes: what every registry takes.
    const started = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
    const location = new URL(started.headers.get('location') ?? '', registry.url);
    location.searchParams.set('digest', sha256(blob));
    const response = await fetch(location, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: blob });
    if (response.status !== 201) throw new Error(`blob push: ${response.status} ${await response.text()}`);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.byteLength },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.byteLength }],
    }),
  );
  const response = await fetch(`${registry.url}/v2/${repository}/manifests/v1`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': MediaType.ociManifest },
    body: manifest,
  });
  if (response.status !== 201) throw new Error(`manifest push: ${response.status} ${await response.text()}`);
  return sha256(manifest);
}

async function wrk(registry: RegistryServer, headers: string[]): Promise<{ rps: number; requests: number; errors: number }> {
  const result = await run(
    'wrk',
    ['-t', '2', '-c', '32', '-d', `${seconds}s`, '-H', `Accept: ${MediaType.ociManifest}`, ...headers.flatMap((h) => ['-H', h]), `${registry.url}/v2/${repository}/manifests/v1`],
    { timeoutMs: (seconds + 30) * 1000 },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1] ?? Number.NaN);
  const requests = Number(/(\d+) requests in/.exec(result.stdout)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(result.stdout);
  const errors = non2xx + (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return { rps, requests, errors };
}

const work = await makeTempDir('bench-pulls');
const dataDir = join(work.path, 'berth');
const [berth, distribution] = await Promise.all([
  startBerthServer({ dataDir, env: { BERTH_ADMIN_PASSWORD: password } }),
  startDistribution({ logLevel: 'warn' }),
]);
try {
  const digest = await pushImage(berth, { authorization: basic });
  await pushImage(distribution, {});
  const token = (await (await fetch(`${berth.url}/service/token?service=berth&scope=repository:${repository}:pull`, { headers: { authorization: basic } })).json()) as { token: string };
  const results = { berth: [] as number[], distribution: [] as number[] };
  let served = 0;
  let errors = 0;
  for (let round = 0; round < runs; round++) {
    const b = await wrk(berth, [`Authorization: Bearer ${token.token}`]);
    results.berth.push(b.rps);
    // wrk counts the requests it completed; a 2xx is a pull counted.
    served += b.requests - b.errors;
    errors += b.errors;
    const d = await wrk(distribution, []);
    results.distribution.push(d.rps);
    errors += d.errors;
  }
  await berth.process().stop();
  const db = new Database(join(dataDir, 'registry.db'), { readonly: true });
  const pulled = db.prepare<[string, string], { item: string }>('SELECT item FROM items WHERE pk = ? AND sk = ?').get(`repo#${repository}`, `pulled#${digest}`);
  const count = pulled ? (JSON.parse(pulled.item) as { count: number }).count : 0;
  const events = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM items WHERE pk >= 'queue#' AND pk < 'queue$' AND item LIKE '%\"action\":\"pull\"%'").get()!.n
    + db.prepare<[], { n: number }>("SELECT count(*) AS n FROM items WHERE pk >= 'audit#' AND pk < 'audit$' AND item LIKE '%\"action\":\"pull\"%'").get()!.n;
  db.close();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const berthRps = median(results.berth);
  const distributionRps = median(results.distribution);
  console.log(JSON.stringify({ load: loadavg().map((v) => Number(v.toFixed(2))), seconds, runs, results, errors }, null, 2));
  console.log(`\n| | Berth (auth on, pulls counted) | Distribution | ratio |\n|---|---|---|---|`);
  console.log(`| manifest GET by tag, requests/s (median of ${runs}) | ${berthRps.toFixed(0)} | ${distributionRps.toFixed(0)} | ${(berthRps / distributionRps).toFixed(2)} |`);
  console.log(`\npulls served ${served}, counted ${count}; pull events written ${events} (upper bound on flush transactions)`);
} finally {
  await berth.stop().catch(() => undefined);
  await distribution.stop();
  await work.remove();
}
