/**
 * Scanning speed on this machine, in one run:
 *
 * - the built-in scanner's `scan` job on a ~200 MiB two-layer gzip image (this machine's Debian
 *   12 os-release and dpkg database, an npm lockfile, thousands of small text files and large
 *   random ones), read from the embedded default's blob store with auth on, against the floor:
 *   `gzip -dc LAYER | tar -t > /dev/null` over the same layer files (every byte decompressed once);
 * - re-matching 1,000 stored inventories after a change of the vulnerability data (the rescan:
 *   inventories and advisories read from the table, no layer).
 *
 * Runs alternate between Berth and the floor so drift on the machine hits both alike; medians of
 * BENCH_RUNS runs (default 3). Writes bench/results/scan.json.
 *
 *   npx tsx bench/scan.ts
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { TableJobQueue } from '../functions/adapters/local/table-job-queue.js';
import { digestOf } from '../functions/core/digest.js';
import { loadConfig } from '../functions/config.js';
import { compose } from '../functions/entry/compose.js';
import { createLocalDeps } from '../functions/entry/local-deps.js';
import type { ScanJob } from '../functions/scanning/jobs.js';
import { scanArtifact } from '../functions/scanning/image-scan.js';
import { localSource } from '../functions/scanning/image-source.js';
import { scanningOf } from '../functions/scanning/scanning-capability.js';
import { runScan } from '../functions/scanning/scanning-jobs.js';
import { importOsv } from '../functions/scanning/vuln-db-import.js';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const MiB = 1024 * 1024;
const adminPassword = 'Bench-Passw0rd';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function timed(step: () => unknown): Promise<number> {
  const started = performance.now();
  await step();
  return (performance.now() - started) / 1000;
}

const words = 'package version source depends library system service network kernel update security debian alpine node module'.split(' ');

/** One gzip layer written as it is generated (never whole in memory). */
async function writeLayer(path: string, entries: (pack: tar.Pack) => Promise<void>): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip({ level: 6 }), createWriteStream(path));
  await entries(pack);
  pack.finalize();
  await done;
}

function add(pack: tar.Pack, name: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ name, mode: 0o644 }, body, (error) => (error ? reject(error) : resolve())));
}

function text(bytes: number, seed: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const word = `${words[(i * 7 + seed) % words.length]}-${(i * 2654435761 + seed) % 100000} `;
    parts.push(word);
    size += word.length;
  }
  return Buffer.from(parts.join('').slice(0, bytes));
}

async function buildImage(dir: string): Promise<string[]> {
  const lower = join(dir, 'layer-1.tar.gz');
  const upper = join(dir, 'layer-2.tar.gz');
  await writeLayer(lower, async (pack) => {
    await add(pack, 'usr/lib/os-release', readFileSync('/usr/lib/os-release'));
    await add(pack, 'var/lib/dpkg/status', readFileSync('/var/lib/dpkg/status'));
    for (let i = 0; i < 6000; i++) await add(pack, `usr/share/doc/pkg-${i % 700}/file-${i}.txt`, text(8 * 1024, i));
    for (let i = 0; i < 45; i++) await add(pack, `usr/lib/blob-${i}.so`, randomBytes(2 * MiB));
  });
  await writeLayer(upper, async (pack) => {
    const packages: Record<string, { version: string }> = {};
    for (let i = 0; i < 800; i++) packages[`node_modules/dep-${i}`] = { version: `1.${i % 20}.${i % 7}` };
    packages['node_modules/lodash'] = { version: '4.17.15' };
    await add(pack, 'srv/app/package-lock.json', Buffer.from(JSON.stringify({ lockfileVersion: 3, packages })));
    await add(pack, 'usr/share/doc/.wh.pkg-1', Buffer.alloc(0));
    for (let i = 0; i < 6000; i++) await add(pack, `srv/app/assets/a-${i}.txt`, text(8 * 1024, i + 99));
    for (let i = 0; i < 45; i++) await add(pack, `srv/app/data-${i}.bin`, randomBytes(2 * MiB));
  });
  return [lower, upper];
}

/** The floor: decompress and list every layer, as `gzip -dc | tar -t` does. */
function floor(layers: string[]): void {
  for (const layer of layers) execFileSync('bash', ['-c', `gzip -dc "${layer}" | tar -t > /dev/null`]);
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-scan-'));
  try {
    const layers = await buildImage(work);
    const sizes = layers.map((l) => statSync(l).size);
    const imageMiB = sizes.reduce((a, b) => a + b, 0) / MiB;

    const deps = createLocalDeps(join(work, 'data'));
    deps.queue = new TableJobQueue(deps.table);
    const { app } = await compose(deps, loadConfig({ BERTH_ADMIN_PASSWORD: adminPassword }), { notice: () => {} });
    const scanning = scanningOf(deps);
    const repository = 'bench/image';
    const auth = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
    const tokenResponse = await app.request(`http://bench/service/token?service=berth&scope=repository:${repository}:pull,push`, { headers: { authorization: auth } });
    const bearer = `Bearer ${((await tokenResponse.json()) as { token: string }).token}`;

    // Push through the v2 API as a client would (auth on), layers streamed from disk.
    const descriptors = [];
    for (const [n, layer] of layers.entries()) {
      const bytes = readFileSync(layer);
      const digest = digestOf(bytes);
      const response = await app.request(`http://bench/v2/${repository}/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        body: createReadStream(layer) as never,
        headers: { authorization: bearer, 'content-type': 'application/octet-stream', 'content-length': String(sizes[n]) },
        duplex: 'half',
      } as RequestInit);
      if (response.status !== 201) throw new Error(`layer push: ${response.status} ${await response.text()}`);
      descriptors.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: sizes[n] });
    }
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    await app.request(`http://bench/v2/${repository}/blobs/uploads/?digest=${digestOf(config)}`, { method: 'POST', body: config, headers: { authorization: bearer, 'content-type': 'application/octet-stream' } });
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length }, layers: descriptors });
    const put = await app.request(`http://bench/v2/${repository}/manifests/latest`, { method: 'PUT', body: manifest, headers: { authorization: bearer, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    if (put.status !== 201) throw new Error(`manifest push: ${put.status}`);
    const digest = digestOf(Buffer.from(manifest));

    const berthSeconds: number[] = [];
    const readSeconds: number[] = [];
    const floorSeconds: number[] = [];
    let packages = 0;
    for (let run = 0; run < runs; run++) {
      floorSeconds.push(await timed(() => floor(layers)));
      readSeconds.push(await timed(() => scanArtifact(localSource(deps, repository), digest)));
      berthSeconds.push(
        await timed(async () => {
          const state = await scanning.service.request(repository, digest);
          const job: ScanJob = { version: 1, kind: 'scan', id: state.requestId, repository, digest, requestId: state.requestId };
          await runScan(scanning.service, job);
          const done = await scanning.service.store.state(repository, digest);
          if (done?.status !== 'Success') throw new Error(`scan ended ${done?.status}: ${done?.message}`);
          packages = (await scanning.service.store.inventory(done))!.packages.length;
        }),
      );
    }

    // Rescans: 1,000 stored inventories (this image's), advisories for every source package.
    const state = (await scanning.service.store.state(repository, digest))!;
    const inventory = (await scanning.service.store.inventory(state))!;
    const sources = [...new Set(inventory.packages.filter((p) => p.ecosystem === 'Debian:12').map((p) => p.source ?? p.name))];
    const docs = sources.flatMap((source, n) =>
      [0, 1, 2].map((k) => ({
        name: `${source}-${k}`,
        text: JSON.stringify({
          id: `BENCH-${n}-${k}`,
          modified: '2024-01-01T00:00:00Z',
          details: `synthetic advisory ${k} for ${source}`,
          affected: [{ package: { ecosystem: 'Debian:12', name: source }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: k === 0 ? '99:0' : '0.0.1' }] }] }],
        }),
      })),
    );
    await importOsv(deps.table, (async function* () { yield* docs; })(), 'bench');
    for (let i = 0; i < 1000; i++) {
      const { op, state: pending } = await scanning.service.store.requestOp(`bench/copy-${i}`, digest, `r${i}`, new Date().toISOString());
      await deps.table.transact([op]);
      await scanning.service.store.complete(`bench/copy-${i}`, digest, pending.requestId, { report: await scanning.service.reportOf(repository, digest, inventory), summary: { total: 0, fixable: 0, summary: {} }, inventory, at: new Date().toISOString() });
    }
    // Two data updates: one that changes nothing any image holds (the usual case: most advisories
    // concern other packages), one with a new glibc advisory, which changes every report.
    const unrelated = { name: 'unrelated', text: JSON.stringify({ id: 'BENCH-UNRELATED', modified: '2024-01-02T00:00:00Z', affected: [{ package: { ecosystem: 'Debian:12', name: 'no-such-package' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }] }) };
    const glibc = { name: 'glibc', text: JSON.stringify({ id: 'BENCH-GLIBC', modified: '2024-01-02T00:00:00Z', affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }] }) };
    const rematch = async (doc: { name: string; text: string }) => {
      await importOsv(deps.table, (async function* () { yield doc; })(), 'bench-update');
      let outcome = { visited: 0, changed: 0 };
      const seconds = await timed(async () => {
        outcome = await scanning.service.rematchAll();
      });
      return { ...outcome, seconds, perInventoryMs: (seconds * 1000) / Math.max(1, outcome.visited) };
    };
    const unchanged = await rematch(unrelated);
    const allChanged = await rematch(glibc);

    const result = {
      at: new Date().toISOString(),
      node: process.version,
      loadBefore: loadavg(),
      image: { layers: sizes.length, compressedMiB: Number(imageMiB.toFixed(1)), packages },
      scanSeconds: { berth: median(berthSeconds), floor: median(floorSeconds), ratio: median(berthSeconds) / median(floorSeconds), layersOnly: median(readSeconds), runs: { berth: berthSeconds, layersOnly: readSeconds, floor: floorSeconds } },
      rematch: { packagesEach: inventory.packages.length, advisories: docs.length + 2, unchanged, allChanged },
    };
    await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
    await writeFile(join(import.meta.dirname, 'results', 'scan.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`image: ${sizes.length} layers, ${imageMiB.toFixed(1)} MiB compressed, ${packages} packages found`);
    console.log(`scan (median of ${runs}): Berth's scan job ${result.scanSeconds.berth.toFixed(2)} s (reading the layers alone ${result.scanSeconds.layersOnly.toFixed(2)} s), gzip -dc | tar -t ${result.scanSeconds.floor.toFixed(2)} s, ratio ${result.scanSeconds.ratio.toFixed(2)}x`);
    for (const [label, r] of [['no report changes', unchanged], ['every report changes', allChanged]] as const) {
      console.log(`re-match (${label}): ${r.visited} inventories of ${inventory.packages.length} packages, ${r.changed} reports rewritten, ${r.seconds.toFixed(2)} s (${r.perInventoryMs.toFixed(1)} ms each)`);
    }
    console.log(`load average before: ${result.loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
    deps.table.close();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
