/**
 * Garbage collection at scale on the embedded default (`npm run bench:gc`): 10,000 manifests
 * over 50,000 blobs (a config and four layers each) in 100 repositories, written through the
 * registry's own item builders; a fifth of the manifests deleted; then one collection pass (grace 0,
 * delete_untagged off), timed. Also times listing one page of a project's repositories, which must
 * not grow with the number of repositories.
 *
 * MANIFESTS=… and REPOSITORIES=… scale it down for a quick look.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf, parseDigest } from '../functions/core/digest.js';
import { loadConfig } from '../functions/config.js';
import { compose } from '../functions/entry/compose.js';
import { createLocalDeps } from '../functions/entry/local-deps.js';
import { collectGarbage } from '../functions/lifecycle/gc-sweep.js';
import { Repositories } from '../functions/lifecycle/repositories.js';
import { BlobLinks } from '../functions/registry/blob-links.js';
import { BlobRecords } from '../functions/registry/blob-records.js';
import { keys } from '../functions/registry/keys.js';
import { repositoryWriteOps } from '../functions/registry/repository-meta.js';
import type { Item, WriteOp } from '../functions/ports/table.js';
import { partitions } from '../functions/table-layout.js';
import { Manifests } from '../functions/registry/manifests.js';

const manifestCount = Number(process.env.MANIFESTS ?? 10_000);
const repositoryCount = Number(process.env.REPOSITORIES ?? 100);
const layersPerImage = 4;

const dir = await mkdtemp(join(tmpdir(), 'berth-bench-gc-'));
const deps = createLocalDeps(dir);
await compose(deps, loadConfig({}));
const records = new BlobRecords(deps);
const manifests = new Manifests(deps);

/** Bytes into the blob store, as an upload commits them. */
async function storeBytes(bytes: Uint8Array): Promise<string> {
  const digest = digestOf(bytes);
  const id = crypto.randomUUID();
  const state = await deps.blobs.beginUpload(id);
  const next = await deps.blobs.appendUpload(id, state, (async function* () {
    yield bytes;
  })());
  await deps.blobs.commitUpload(id, next, digest);
  return digest;
}

// The table items a push writes (records, links, quota counts, manifest, tag, repository), built
// with the registry's own item builders and written in batches: pushing 10,000 images one request
// at a time would take the bench longer than the collection it measures.
const seedStarted = performance.now();
const pushed: { repository: string; digest: string }[] = [];
const pending: WriteOp[] = [];
const flush = async (all = false) => {
  while (pending.length >= 90 || (all && pending.length > 0)) await deps.table.transact(pending.splice(0, 90));
};
const links = new BlobLinks(deps.table);
const seededAt = new Date(Date.now() - 1000);
const repositoriesSeen = new Set<string>();
let used = 0;
let nextImage = 0;
async function seedOne(i: number): Promise<void> {
  const repository = `bench/repo-${String(i % repositoryCount).padStart(4, '0')}`;
  const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', i }));
  const layers = Array.from({ length: layersPerImage }, (_, l) => new TextEncoder().encode(`layer ${i} ${l} ${'x'.repeat(64)}`));
  const blobs = [config, ...layers];
  const digests = await Promise.all(blobs.map(storeBytes));
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digests[0], size: config.byteLength },
    layers: digests.slice(1).map((digest, l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: layers[l]!.byteLength })),
  });
  const digest = digestOf(new TextEncoder().encode(body));
  if (!repositoriesSeen.has(repository)) {
    repositoriesSeen.add(repository);
    pending.push(...repositoryWriteOps(repository, null, seededAt).map((op) => ({ put: (op as { put: Item }).put })));
  }
  blobs.forEach((bytes, b) => {
    const blob = digests[b]!;
    pending.push(
      { put: (records.recordOp(blob, bytes.byteLength, null) as { put: Item }).put },
      { put: links.linkItem(repository, blob, bytes.byteLength, seededAt) },
      { put: { pk: `${partitions.quota}bench`, sk: `blob#${blob}`, size: bytes.byteLength, generation: crypto.randomUUID() } },
    );
    used += bytes.byteLength;
  });
  pending.push(
    { put: { ...keys.manifest(repository, digest), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: body.length, createdAt: seededAt.toISOString(), body } },
    { put: { ...keys.tag(repository, `t${i}`), digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', updatedAt: seededAt.toISOString(), gsi1pk: keys.tagIndex(repository, digest), gsi1sk: `t${i}` } },
  );
  pushed.push({ repository, digest });
  await flush();
  if ((i + 1) % 1000 === 0) console.error(`seeded ${i + 1} manifests`);
}
await Promise.all(Array.from({ length: 8 }, async () => {
  while (nextImage < manifestCount) await seedOne(nextImage++);
}));
await flush(true);
await deps.table.put({ pk: `${partitions.quota}bench`, sk: 'usage', hard: -1, used, createdAt: seededAt.toISOString(), updatedAt: seededAt.toISOString() });
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
