import { createHash } from 'node:crypto';
import { read } from './client.js';
import { manifestTypes } from './content.js';
import { parseSlot, type SlotValue } from './ledger.js';
import type { World } from './workload.js';

const acceptAll = Object.values(manifestTypes).join(', ');

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Every page of a paginated list, following `Link: <...>; rel="next"`. */
async function allPages<T>(baseUrl: string, first: string, field: string): Promise<{ status: number; items: T[] }> {
  const items: T[] = [];
  let path: string | null = first;
  while (path) {
    const response: Response = await read(`${baseUrl}${path}`);
    if (response.status !== 200) return { status: response.status, items };
    items.push(...(((await response.json()) as Record<string, T[] | null>)[field] ?? []));
    path = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
  }
  return { status: 200, items };
}

/**
 * Checks the restarted registry against the ledger over HTTP and settles the ledger on what it
 * finds. Returns every broken invariant, each in a sentence:
 *
 *  (a) every acknowledged blob, manifest and tag is there (unless an acknowledged operation
 *      removed it), blobs readable to the last byte and hashing to their digest, manifests byte for
 *      byte as pushed;
 *  (b) what was in flight at the kill is all or nothing: a blob is 404 or complete and verified;
 *  (c) the indexes agree: tags list = tags that resolve, catalog = repositories with manifests,
 *      each manifest's blobs linked and children present, referrers = the present manifests whose
 *      subject it is.
 *
 * `verified` holds digests whose bytes were already read in full and hashed (blob files never
 * change), so later rounds read one byte of them instead of all. `only` limits (a) and (b) to
 * some slots (those a repeated push touched); (c) always covers everything.
 */
export async function checkRegistry(world: World, baseUrl: string, verified: Set<string>, only?: string[]): Promise<string[]> {
  const problems: string[] = [];
  const { ledger } = world;

  const observe = async (key: string): Promise<SlotValue | undefined> => {
    const { kind, repository, name } = parseSlot(key);
    if (kind === 'blob') return observeBlob(repository, name);
    const response = await read(`${baseUrl}/v2/${repository}/manifests/${name}`, { headers: { accept: acceptAll } });
    const body = new Uint8Array(await response.arrayBuffer());
    if (response.status === 404) return kind === 'tag' ? null : false;
    if (response.status !== 200) {
      problems.push(`GET ${key} answered ${response.status}`);
      return undefined;
    }
    const digest = response.headers.get('docker-content-digest') ?? '';
    const manifest = world.manifests.get(digest);
    if (!manifest) problems.push(`GET ${key} answered a manifest never pushed: ${digest}`);
    else if (!Buffer.from(body).equals(manifest.bytes)) problems.push(`GET ${key} answered other bytes than were pushed`);
    else if (response.headers.get('content-type') !== manifest.mediaType) problems.push(`GET ${key} answered type ${response.headers.get('content-type')}`);
    if (kind === 'manifest' && digest !== name) problems.push(`GET ${key} answered digest ${digest}`);
    return kind === 'tag' ? digest : true;
  };

  const observeBlob = async (repository: string, digest: string): Promise<SlotValue | undefined> => {
    const blob = world.blobs.get(digest)!;
    const url = `${baseUrl}/v2/${repository}/blobs/${digest}`;
    const head = await read(url, { method: 'HEAD' });
    if (head.status === 404) return false;
    if (head.status !== 200) {
      problems.push(`HEAD blob ${repository}@${digest} answered ${head.status}`);
      return undefined;
    }
    if (head.headers.get('content-length') !== String(blob.size)) problems.push(`HEAD blob ${repository}@${digest}: Content-Length ${head.headers.get('content-length')}, pushed ${blob.size}`);
    if (verified.has(digest) && blob.size > 0) {
      const last = await read(url, { headers: { range: `bytes=${blob.size - 1}-${blob.size - 1}` } });
      const bytes = new Uint8Array(await last.arrayBuffer());
      if (last.status !== 206 || bytes.byteLength !== 1) problems.push(`GET last byte of ${repository}@${digest} answered ${last.status} with ${bytes.byteLength} bytes`);
      return true;
    }
    const response = await read(url);
    if (response.status !== 200 || !response.body) {
      problems.push(`GET blob ${repository}@${digest} answered ${response.status} after HEAD 200`);
      await response.arrayBuffer().catch(() => undefined);
      return true;
    }
    const hash = createHash(digest.startsWith('sha512:') ? 'sha512' : 'sha256');
    let size = 0;
    for await (const chunk of response.body) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
    const computed = `${digest.slice(0, digest.indexOf(':'))}:${hash.digest('hex')}`;
    if (computed !== digest || size !== blob.size) problems.push(`blob ${repository}@${digest} serves ${size} bytes hashing to ${computed}`);
    else verified.add(digest);
    return true;
  };

  await inParallel(only ?? ledger.keys(), 12, async (key) => {
    const observed = await observe(key);
    if (observed === undefined) return;
    const allowed = ledger.allowed(key);
    if (!ledger.settle(key, observed)) problems.push(`${key} is ${JSON.stringify(observed)}, but only ${JSON.stringify(allowed)} was acknowledged or in flight`);
  });

  const repositories = new Map<string, { tags: Map<string, string>; manifests: string[]; blobs: Set<string> }>();
  const entry = (name: string) => {
    let found = repositories.get(name);
    if (!found) repositories.set(name, (found = { tags: new Map(), manifests: [], blobs: new Set() }));
    return found;
  };
  for (const key of ledger.keys()) {
    const { kind, repository, name } = parseSlot(key);
    const value = ledger.value(key);
    const found = entry(repository);
    if (kind === 'tag' && typeof value === 'string') found.tags.set(name, value);
    if (kind === 'manifest' && value === true) found.manifests.push(name);
    if (kind === 'blob' && value === true) found.blobs.add(name);
  }
  // A repository exists once something was pushed into it: a blob link is enough, as in
  // Distribution, whose catalog lists every repository with a layer.
  const everPushed = new Set(ledger.keys().filter((key) => key.startsWith('manifest ') || key.startsWith('blob ')).map((key) => parseSlot(key).repository));

  await inParallel([...repositories], 4, async ([repository, found]) => {
    const listed = await allPages<string>(baseUrl, `/v2/${repository}/tags/list?n=40`, 'tags');
    if (listed.status === 404 && found.tags.size === 0 && found.manifests.length === 0) return;
    if (listed.status !== 200) {
      problems.push(`tags list of ${repository} answered ${listed.status}`);
      return;
    }
    const expected = [...found.tags.keys()].sort();
    const actual = [...listed.items].sort();
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`tags list of ${repository} is not the tags that resolve: extra ${actual.filter((t) => !found.tags.has(t)).join(',') || '-'}, missing ${expected.filter((t) => !actual.includes(t)).join(',') || '-'}`);
    }

    const subjects = new Set<string>();
    for (const digest of found.manifests) {
      const manifest = world.manifests.get(digest)!;
      for (const blob of manifest.blobs) if (!found.blobs.has(blob)) problems.push(`manifest ${repository}@${digest} names blob ${blob}, which the repository does not hold`);
      for (const child of manifest.children) if (!found.manifests.includes(child)) problems.push(`index ${repository}@${digest} names manifest ${child}, which the repository does not hold`);
    }
    for (const key of ledger.keys().filter((k) => k.startsWith(`manifest ${repository} `))) {
      const subject = world.manifests.get(parseSlot(key).name)?.subject;
      if (subject) subjects.add(subject);
    }
    for (const subject of subjects) {
      const response = await read(`${baseUrl}/v2/${repository}/referrers/${subject}`);
      if (response.status !== 200) {
        problems.push(`referrers of ${repository}@${subject} answered ${response.status}`);
        continue;
      }
      const index = (await response.json()) as { manifests: { digest: string; artifactType?: string; size: number }[] };
      const listedDigests = index.manifests.map((descriptor) => descriptor.digest).sort();
      const expectedDigests = found.manifests.filter((digest) => world.manifests.get(digest)!.subject === subject).sort();
      if (JSON.stringify(listedDigests) !== JSON.stringify(expectedDigests)) {
        problems.push(`referrers of ${repository}@${subject} list ${listedDigests.join(',') || 'nothing'}, present referrers are ${expectedDigests.join(',') || 'none'}`);
      }
      for (const descriptor of index.manifests) {
        const manifest = world.manifests.get(descriptor.digest);
        if (manifest && (descriptor.artifactType !== manifest.artifactType || descriptor.size !== manifest.bytes.byteLength)) {
          problems.push(`referrer ${descriptor.digest} of ${repository} is described as ${JSON.stringify(descriptor)}`);
        }
      }
    }
  });

  const catalog = await allPages<string>(baseUrl, '/v2/_catalog?n=3', 'repositories');
  if (catalog.status !== 200) problems.push(`catalog answered ${catalog.status}`);
  for (const [repository, found] of repositories) {
    if (found.manifests.length > 0 && !catalog.items.includes(repository)) problems.push(`catalog leaves out ${repository}, which holds manifests`);
  }
  for (const repository of catalog.items) {
    if (!everPushed.has(repository)) problems.push(`catalog lists ${repository}, where nothing was ever pushed`);
  }
  return problems;
}
