import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imageConfig, imageManifest, randomLayer, uniqueRepository } from './content.js';
import { expectOciError, explain, nextLink, pushBlobs, pushManifest } from './oci-client.js';
import { openTarget, type Target } from './target.js';

// Spec "Listing Tags": end-8a and end-8b, with `n`, `last` and the `Link` header.

let target: Target;
const repository = uniqueRepository('tags');
// Lower case only: byte order and case-insensitive order agree, so either reading of the spec's
// "lexical order" gives this list.
const tags = ['latest', 'alpha', 'beta', 'v1.0', 'v10', 'v2', 'gamma', 'delta', 'epsilon', 'v1.1', 'zeta'];
const sorted = [...tags].sort();

interface TagList {
  name: string;
  tags: string[] | null;
}

async function list(query = ''): Promise<{ response: Response; body: TagList }> {
  const response = await target.fetch(`/v2/${repository}/tags/list${query}`);
  expect(response.status, await explain(response)).toBe(200);
  return { response, body: (await response.json()) as TagList };
}

beforeAll(async () => {
  target = await openTarget();
  const config = imageConfig();
  const layer = randomLayer(100);
  await pushBlobs(target, repository, [config, layer]);
  const manifest = imageManifest({ config, layers: [layer] });
  for (const tag of tags) await pushManifest(target, repository, tag, manifest);
});

afterAll(async () => {
  await target?.close();
});

describe('end-8a', () => {
  test('lists every tag, in lexical order, with the repository name', async () => {
    const { body } = await list();
    expect(body).toEqual({ name: repository, tags: sorted });
  });

  test('a repository whose manifests were pushed by digest only has an empty list', async () => {
    const untagged = uniqueRepository('untagged');
    const config = imageConfig();
    await pushBlobs(target, untagged, [config]);
    const manifest = imageManifest({ config });
    await pushManifest(target, untagged, manifest.digest, manifest);
    const response = await target.fetch(`/v2/${untagged}/tags/list`);
    expect(response.status, await explain(response)).toBe(200);
    const body = (await response.json()) as TagList;
    expect(body.name).toBe(untagged);
    expect(body.tags ?? []).toEqual([]);
  });

  test('an unknown repository is 404 NAME_UNKNOWN', async () => {
    await expectOciError(await target.fetch(`/v2/${uniqueRepository('none')}/tags/list`), 404, 'NAME_UNKNOWN');
  });
});

describe('end-8b', () => {
  test('`n` limits the list to its first n tags and a Link points at the rest', async () => {
    const { response, body } = await list('?n=4');
    expect(body.tags).toEqual(sorted.slice(0, 4));
    expect(nextLink(response)).toBeTruthy();
  });

  test('`last` starts the list just after that tag', async () => {
    const { body } = await list(`?n=3&last=${sorted[3]}`);
    expect(body.tags).toEqual(sorted.slice(4, 7));
  });

  test('`last` without `n` returns everything after it', async () => {
    const { body } = await list(`?last=${sorted[7]}`);
    expect(body.tags).toEqual(sorted.slice(8));
  });

  test('`last` need not be an existing tag', async () => {
    const { body } = await list('?n=2&last=c');
    expect(body.tags).toEqual(['delta', 'epsilon']);
  });

  test('following Link visits every tag once, in order', async () => {
    const seen: string[] = [];
    let url: string | null = `/v2/${repository}/tags/list?n=3`;
    for (let page = 0; url && page < 20; page += 1) {
      const response = await target.fetch(url);
      expect(response.status, await explain(response)).toBe(200);
      const body = (await response.json()) as TagList;
      expect(body.tags?.length ?? 0).toBeLessThanOrEqual(3);
      seen.push(...(body.tags ?? []));
      url = nextLink(response);
    }
    expect(seen).toEqual(sorted);
  });

  test('`n=0` returns an empty list and no Link', async () => {
    const { response, body } = await list('?n=0');
    expect(body.tags ?? []).toEqual([]);
    expect(response.headers.get('link')).toBeNull();
  });

  test('`n` at least the number of tags returns them all and no Link', async () => {
    const { response, body } = await list(`?n=${tags.length}`);
    expect(body.tags).toEqual(sorted);
    expect(response.headers.get('link')).toBeNull();
  });

  test('`last` at the final tag returns an empty list and no Link', async () => {
    const { response, body } = await list(`?n=5&last=${sorted[sorted.length - 1]}`);
    expect(body.tags ?? []).toEqual([]);
    expect(response.headers.get('link')).toBeNull();
  });
});
