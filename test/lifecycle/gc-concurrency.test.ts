import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { collectGarbage } from '../../functions/lifecycle/gc-sweep.js';
import { composedRegistry, pushLayers, randomBytes, type ComposedRegistry } from './support.js';

let registry: ComposedRegistry;
beforeEach(async () => {
  registry = await composedRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

/** Every acknowledged, still-tagged image pulls completely: manifest and every blob, byte for byte. */
async function pullsCompletely(repository: string, tag: string, blobs: { digest: string; bytes: Uint8Array }[]): Promise<string[]> {
  const problems: string[] = [];
  const manifest = await registry.request(`/v2/${repository}/manifests/${tag}`);
  if (manifest.status !== 200) return [`${repository}:${tag} manifest ${manifest.status}`];
  await manifest.arrayBuffer();
  for (const blob of blobs) {
    const response = await registry.request(`/v2/${repository}/blobs/${blob.digest}`);
    if (response.status !== 200) {
      const link = await registry.deps.table.get({ pk: `repo#${repository}`, sk: `blob#${blob.digest}` });
      const record = await registry.deps.table.get({ pk: `blob#${blob.digest}`, sk: 'meta' });
      const bytes = await registry.deps.blobs.stat(blob.digest);
      problems.push(`${repository}:${tag} blob ${blobs.indexOf(blob)} ${blob.digest} ${response.status} ${await response.text()} link=${JSON.stringify(link)} record=${JSON.stringify(record)} bytes=${JSON.stringify(bytes)}`);
      continue;
    }
    if (digestOf(new Uint8Array(await response.arrayBuffer())) !== blob.digest) problems.push(`${repository}:${tag} blob ${blob.digest} corrupt`);
  }
  return problems;
}

describe('garbage collection while pushes and deletes run', () => {
  it('never breaks an acknowledged image, with grace 0 and untagged deletion, and then frees everything unreferenced', async () => {
    // A base layer every repository shares: links to it come and go while the collector runs.
    const base = randomBytes(2048);
    const kept: { repository: string; tag: string; blobs: { digest: string; bytes: Uint8Array }[] }[] = [];
    const dropped = new Set<string>();
    let stop = false;
    const refusals: unknown[] = [];
    let passes = 0;

    const collector = (async () => {
      while (!stop) {
        await collectGarbage(registry.deps, { dryRun: false, deleteUntagged: true, graceSeconds: 0 });
        passes++;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
      }
    })();

    const writer = async (w: number) => {
      for (let i = 0; i < 12; i++) {
        const repository = `soak/r${(w + i) % 3}`;
        const tag = `w${w}-${i}`;
        const layers = i % 2 === 0 ? [base, randomBytes(512 + i)] : [randomBytes(700), base];
        try {
          // As clients do, a refused push is tried again (the collector took an unreferenced upload).
          let pushed = await pushLayers(registry, repository, tag, layers).catch(() => null);
          for (let retry = 0; retry < 5 && pushed?.status !== 201; retry++) pushed = await pushLayers(registry, repository, tag, layers).catch(() => null);
          if (pushed?.status !== 201) {
            refusals.push(pushed?.status);
            continue;
          }
          if (i % 4 === 3) {
            // Deleted at once: an acknowledged push that its writer then removed.
            const response = await registry.request(`/v2/${repository}/manifests/${i % 8 === 3 ? pushed.digest : tag}`, { method: 'DELETE' });
            expect(response.status).toBe(202);
            for (const blob of pushed.blobs.slice(0, 1)) dropped.add(blob.digest);
            continue;
          }
          kept.push({ repository, tag, blobs: pushed.blobs });
        } catch (error) {
          // A push refused because the collector took a blob it had uploaded (never acknowledged).
          refusals.push(String(error).slice(0, 200));
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(writer));
    stop = true;
    await collector;
    expect(passes).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(15);

    const problems: string[] = [];
    for (const image of kept) problems.push(...(await pullsCompletely(image.repository, image.tag, image.blobs)));
    expect(problems).toEqual([]);

    // Once quiet, one more pass frees what the deleted images held alone.
    await collectGarbage(registry.deps, { dryRun: false, deleteUntagged: true, graceSeconds: 0 });
    for (const digest of dropped) expect(await registry.deps.blobs.stat(digest)).toBeNull();
    for (const image of kept) expect(await pullsCompletely(image.repository, image.tag, image.blobs)).toEqual([]);
  }, 120_000);
});
