/**
 * Berth against CNCF Distribution 2.8 (Debian's `docker-registry`) on this machine, in one run:
 *
 * Berth runs as `npm start` runs it (compiled, embedded default) with auth on, as every deployment
 * has it: skopeo logs in with the admin's credentials and wrk sends a pull token. Distribution runs
 * without auth (its cheapest configuration).
 *
 * - skopeo push of a 200 MB two-layer image (a fresh random image into a fresh repository each
 *   run, so no layer is ever found already present or mounted), and skopeo pull of it into an
 *   empty OCI layout; BENCH_RUNS runs each (default 3), median wall time;
 * - manifest GET by tag with wrk at 32 connections for BENCH_SECONDS (default 10), requests/s.
 *
 * Runs alternate between the two registries so drift on the machine hits both alike. Prints a
 * table with Berth/Distribution ratios and writes bench/results/latest.json.
 *
 *   npm run bench
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startBerthServer, repoRoot } from '../test/e2e/support/berth-server.js';
import { createContainersTools, type ContainersTools } from '../test/e2e/support/containers-tools.js';
import { startDistribution } from '../test/e2e/support/distribution-server.js';
import { MediaType, MiB, OciLayout } from '../test/e2e/support/oci-layout.js';
import { makeTempDir, run } from '../test/e2e/support/process.js';
import type { RegistryServer } from '../test/e2e/support/registry-server.js';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const password = 'Bench-Passw0rd';
const wrkSeconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = 32;
const layerSizes = [100 * MiB, 100 * MiB];

interface Figures {
  pushSeconds: number[];
  pullSeconds: number[];
  manifestGetPerSecond: number;
  manifestGetErrors: number;
}

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

/** wrk's requests/s and its count of non-2xx/3xx answers and socket errors. */
async function manifestGets(registry: RegistryServer, path: string, scriptDir: string, authorization?: string): Promise<{ rps: number; errors: number }> {
  const script = join(scriptDir, `accept-${registry.kind}.lua`);
  await writeFile(
    script,
    `wrk.headers["Accept"] = "${MediaType.ociManifest}, ${MediaType.dockerManifest}"\n` +
      (authorization ? `wrk.headers["Authorization"] = "${authorization}"\n` : ''),
  );
  const result = await run(
    'wrk',
    ['-t', '2', '-c', String(connections), '-d', `${wrkSeconds}s`, '-s', script, `${registry.url}${path}`],
    { timeoutMs: (wrkSeconds + 30) * 1000 },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(result.stdout);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { rps, errors: non2xx + socketErrors };
}

/** A pull token for the benchmark's repository, as a client gets it from the token service. */
async function pullToken(registry: RegistryServer): Promise<string> {
  const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const response = await fetch(`${registry.url}/service/token?service=berth&scope=${encodeURIComponent('repository:bench/run-1:pull')}`, { headers: { authorization: basic } });
  if (!response.ok) throw new Error(`token service answered ${response.status}`);
  return `Bearer ${((await response.json()) as { token: string }).token}`;
}

async function main(): Promise<void> {
  const work = await makeTempDir('bench');
  const tools: ContainersTools = await createContainersTools();
  await run(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot });
  const registries = await Promise.all([
    startBerthServer({ compiled: true, env: { BERTH_ADMIN_PASSWORD: password } }),
    startDistribution({ logLevel: 'warn' }),
  ]);
  const creds = (registry: RegistryServer, side: 'src' | 'dest') => (registry.kind === 'berth' ? [`--${side}-creds`, `admin:${password}`] : []);
  const figures = new Map<RegistryServer, Figures>(
    registries.map((registry) => [registry, { pushSeconds: [], pullSeconds: [], manifestGetPerSecond: 0, manifestGetErrors: 0 }]),
  );
  try {
    if (!tools.privateBlobInfoCache) {
      console.warn('warning: no private blob-info cache (unshare failed); every image is fresh anyway');
    }
    for (let index = 1; index <= runs; index += 1) {
      for (const registry of registries) {
        const layout = await OciLayout.create(join(work.path, `image-${registry.kind}-${index}`));
        const image = await layout.addImage({ layerSizes });
        await layout.tag(image.manifest, 'v1');
        const reference = `docker://${registry.host}/bench/run-${index}:v1`;
        // Start every timed step with no dirty pages left from the previous one: a registry
        // that syncs its writes would otherwise wait on the kernel flushing the other's.
        await run('sync', []);
        const push = await timed(() =>
          tools.skopeo(['copy', '--dest-tls-verify=false', ...creds(registry, 'dest'), `oci:${layout.dir}:v1`, reference]),
        );
        const pulledDir = join(work.path, `pulled-${registry.kind}-${index}`);
        await run('sync', []);
        const pull = await timed(() =>
          tools.skopeo(['copy', '--src-tls-verify=false', ...creds(registry, 'src'), reference, `oci:${pulledDir}:v1`]),
        );
        await run('rm', ['-rf', layout.dir, pulledDir]);
        figures.get(registry)!.pushSeconds.push(push);
        figures.get(registry)!.pullSeconds.push(pull);
        console.log(`run ${index} ${registry.kind.padEnd(12)} push ${push.toFixed(2)} s  pull ${pull.toFixed(2)} s`);
      }
    }
    for (const registry of registries) {
      const { rps, errors } = await manifestGets(registry, '/v2/bench/run-1/manifests/v1', work.path, registry.kind === 'berth' ? await pullToken(registry) : undefined);
      figures.get(registry)!.manifestGetPerSecond = rps;
      figures.get(registry)!.manifestGetErrors = errors;
      console.log(`manifest GET ${registry.kind.padEnd(12)} ${rps.toFixed(0)} req/s (${errors} errors)`);
    }
  } finally {
    await Promise.all(registries.map((registry) => registry.stop()));
    await tools.remove();
    await work.remove();
  }

  // Client and servers share the machine's cores; other work running at the same time shows here.
  const load = loadavg().map((value) => Number(value.toFixed(2)));
  console.log(`\nload average during the run: ${load.join(' ')}`);
  const [berth, distribution] = registries.map((registry) => figures.get(registry)!) as [Figures, Figures];
  const rows = [
    {
      metric: `skopeo push, 2×100 MiB (median of ${runs}, s)`,
      berth: median(berth.pushSeconds),
      distribution: median(distribution.pushSeconds),
      // Lower is better for times: the ratio reads as Berth's speed relative to Distribution.
      speedup: median(distribution.pushSeconds) / median(berth.pushSeconds),
      target: '≥ 1.0',
    },
    {
      metric: `skopeo pull, 2×100 MiB (median of ${runs}, s)`,
      berth: median(berth.pullSeconds),
      distribution: median(distribution.pullSeconds),
      speedup: median(distribution.pullSeconds) / median(berth.pullSeconds),
      target: '≥ 1.0',
    },
    {
      metric: `manifest GET by tag, wrk ${connections} conns ${wrkSeconds} s (req/s; Berth with a bearer token)`,
      berth: berth.manifestGetPerSecond,
      distribution: distribution.manifestGetPerSecond,
      speedup: berth.manifestGetPerSecond / distribution.manifestGetPerSecond,
      target: '≥ 5.0',
    },
  ];

  console.log('\n| metric | Berth | Distribution 2.8 | Berth speed ÷ Distribution | target |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) {
    const digits = row.metric.includes('req/s') ? 0 : 2;
    console.log(
      `| ${row.metric} | ${row.berth.toFixed(digits)} | ${row.distribution.toFixed(digits)} | ${row.speedup.toFixed(2)}× | ${row.target} |`,
    );
  }
  const errors = berth.manifestGetErrors + distribution.manifestGetErrors;
  if (errors > 0) console.log(`\nwarning: wrk saw ${errors} failed requests; see bench/results/latest.json`);

  const resultsDir = join(repoRoot, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const { stdout: cpu } = await run('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; nproc"]);
  await writeFile(
    join(resultsDir, 'latest.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: cpu.trim().split('\n').map((line) => line.trim()),
        node: process.version,
        loadAverage: load,
        runs,
        wrkSeconds,
        connections,
        layerSizes,
        berth,
        distribution,
        rows,
      },
      null,
      2,
    )}\n`,
  );
  console.log('\nwrote bench/results/latest.json');
}

await main();
