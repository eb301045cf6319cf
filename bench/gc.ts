/**
 * Garbage collection at scale on the embedded default (`npm run bench:gc`): 10,000 manifests
 * over 50,000 blobs (a config and four layers each) in 100 repositories, written through the
 * registry's own stores; a fifth of the manifests deleted; then one collection pass (grace 0,
 * delete_untagged off), timed. Also times listing one page of a project's repositories, which must
 * not grow with the number of repositories.
 *
 * MANIFESTS=… and REPOSITORIES=… scale it down for a quick look.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf, parseDigest } from '../functions/core/digest.js';
import { compose } from '../functions/entry/compose.js';
import { createLocalDeps } from '../functions/entry/local-deps.js';
import { collectGarbage } from '../functions/lifecycle/gc-sweep.js';
import { Repositories } from '../functions/lifecycle/repositories.js';
import { BlobRecords } from '../functions/registry/blob-records.js';
import { Manifests } from '../functions/registry/manifests.js';

const manifestCount = Number(process.env.MANIFESTS ?? 10_000);
const repositoryCount = Number(process.env.REPOSITORIES ?? 100);
const layersPerImage = 4;

const dir = await mkdtemp(join(tmpdir(), 'berth-bench-gc-'));
const deps = createLocalDeps(dir);
await compose(deps, {}, { log: () => {} });
const records = new BlobRecords(deps);
const manifests = new Manifests(deps);

async function storeBlob(repository: string, bytes: Uint8Array): Promise<string> {
  const digest = digestOf(bytes);
  const id = crypto.randomUUID();
  const state = await deps.blobs.beginUpload(id);
  const next = await deps.blobs.appendUpload(id, state, (async function* () {
    yield bytes;
  })());
  const record = await records.current(digest);
  await deps.blobs.commitUpload(id, next, digest);
  await records.link(repository, digest, bytes.byteLength, record);
  return digest;
}

const seedStarted = performance.now();
const pushed: { repository: string; digest: string }[] = [];
let nextImage = 0;
async function seedOne(i: number): Promise<void> {
  const repository = `bench/repo-${String(i % repositoryCount).padStart(4, '0')}`;
  const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', i }));
  const layers = Array.from({ length: layersPerImage }, (_, l) => new TextEncoder().encode(`layer ${i} ${l} ${'x'.repeat(64)}`));
  const configDigest = await storeBlob(repository, config);
  const layerDigests = [];
  for (const layer of layers) layerDigests.push(await storeBlob(repository, layer));
  const body = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
      layers: layerDigests.map((digest, l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: layers[l]!.byteLength })),
    }),
  );
  const stored = await manifests.put(repository, { tag: `t${i}` }, body, 'application/vnd.oci.image.manifest.v1+json');
  pushed.push({ repository, digest: stored.digest });
  if ((i + 1) % 1000 === 0) console.error(`seeded ${i + 1} manifests`);
}
// Eight writers at once, as concurrent pushes would.
await Promise.all(Array.from({ length: 8 }, async () => {
  while (nextImage < manifestCount) await seedOne(nextImage++);
}));
for (const [i, image] of pushed.entries()) {
  if (i % 5 === 0) await manifests.delete(image.repository, { digest: parseDigest(image.digest)! });
}
const seedSeconds = (performance.now() - seedStarted) / 1000;

const started = performance.now();
const result = await collectGarbage(deps, { dryRun: false, deleteUntagged: false, graceSeconds: 0 });
const gcSeconds = (performance.now() - started) / 1000;

const repositories = new Repositories(deps);
const pageStarted = performance.now();
const page = await repositories.names('bench', { limit: 10 });
await Promise.all(page.map((name) => repositories.summary(name)));
const pageMs = performance.now() - pageStarted;

console.log(
  JSON.stringify(
    {
      manifests: manifestCount,
      blobs: manifestCount * (layersPerImage + 1),
      repositories: repositoryCount,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      gcSeconds: Number(gcSeconds.toFixed(2)),
      result,
      firstRepositoryPageMs: Number(pageMs.toFixed(1)),
    },
    null,
    2,
  ),
);
await deps.queue.stop();
deps.table.close();
await rm(dir, { recursive: true, force: true });
