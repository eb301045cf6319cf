import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imageConfig, imageManifest, uniqueRepository } from './content.js';
import { explain, nextLink, pushBlobs, pushManifest } from './oci-client.js';
import { openTarget, type Target } from './target.js';

// `GET /v2/_catalog` is Docker's registry API, not the OCI spec's; clients and mirrors use it, and
// it pages the way end-8b does (`n`, `last`, `Link`). The registry may hold other repositories, so
// the checks are about ours: each listed once, in order, wherever the pages fall.

let target: Target;
const prefix = uniqueRepository('catalog').split('/')[0] as string;
const repositories = ['b-two', 'a-one', 'c/three', 'c/four', 'd.five'].map((name) => `${prefix}/${name}`);
const sorted = [...repositories].sort();

beforeAll(async () => {
  target = await openTarget();
  const config = imageConfig();
  const manifest = imageManifest({ config });
  for (const repository of repositories) {
    await pushBlobs(target, repository, [config]);
    await pushManifest(target, repository, 'latest', manifest);
  }
});

afterAll(async () => {
  await target?.close();
});

async function page(url: string): Promise<{ response: Response; names: string[] }> {
  const response = await target.fetch(url);
  expect(response.status, await explain(response)).toBe(200);
  return { response, names: ((await response.json()) as { repositories: string[] }).repositories };
}

describe('GET /v2/_catalog', () => {
  test('pages of `n` joined by Link list every repository once, in lexical order', async () => {
    const seen: string[] = [];
    let url: string | null = `/v2/_catalog?n=2&last=${encodeURIComponent(`${prefix}/`)}`;
    for (let pages = 0; url && pages < 10_000; pages += 1) {
      const { response, names } = await page(url);
      expect(names.length).toBeLessThanOrEqual(2);
      seen.push(...names);
      // Past our prefix nothing of ours can follow: stop rather than walk a large registry.
      url = names.some((name) => name > `${prefix}/\uffff`) ? null : nextLink(response);
    }
    expect(seen).toEqual([...seen].sort());
    expect(seen.filter((name) => name.startsWith(`${prefix}/`))).toEqual(sorted);
  });

  test('`last` starts just after that repository', async () => {
    const { names } = await page(`/v2/_catalog?n=2&last=${encodeURIComponent(sorted[1] as string)}`);
    expect(names).toEqual(sorted.slice(2, 4));
  });
});
