import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { bytesOf, localRegistry, pushBlob, pushImage, type LocalRegistry } from '../support/local-app.js';

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

describe('tags and catalog', () => {
  test('tags list in lexical order with n/last pagination and Link', async () => {
    const { body } = await pushImage(registry, 'lib/app', 'b');
    for (const tag of ['a', 'C', 'c', '1.0', 'latest']) {
      await registry.request(`/v2/lib/app/manifests/${tag}`, { method: 'PUT', body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    }
    const all = (await (await registry.request('/v2/lib/app/tags/list')).json()) as { name: string; tags: string[] };
    expect(all).toEqual({ name: 'lib/app', tags: ['1.0', 'C', 'a', 'b', 'c', 'latest'] });
    const first = await registry.request('/v2/lib/app/tags/list?n=2');
    expect(((await first.json()) as { tags: string[] }).tags).toEqual(['1.0', 'C']);
    expect(first.headers.get('link')).toBe('</v2/lib/app/tags/list?n=2&last=C>; rel="next"');
    const second = await registry.request('/v2/lib/app/tags/list?n=2&last=C');
    expect(((await second.json()) as { tags: string[] }).tags).toEqual(['a', 'b']);
    const last = await registry.request('/v2/lib/app/tags/list?n=4&last=b');
    expect(((await last.json()) as { tags: string[] }).tags).toEqual(['c', 'latest']);
    expect(last.headers.get('link')).toBeNull();
    expect(((await (await registry.request('/v2/lib/app/tags/list?n=0')).json()) as { tags: string[] }).tags).toEqual([]);
    expect((await registry.request('/v2/lib/app/tags/list?n=x')).status).toBe(400);
    expect((await registry.request('/v2/lib/none/tags/list')).status).toBe(404);
  });

  test('catalog lists repositories with pagination', async () => {
    for (const name of ['b/x', 'a/y', 'c']) await pushImage(registry, name, 'v1');
    const page = await registry.request('/v2/_catalog?n=2');
    expect(await page.json()).toEqual({ repositories: ['a/y', 'b/x'] });
    expect(page.headers.get('link')).toBe('</v2/_catalog?n=2&last=b%2Fx>; rel="next"');
    expect(await (await registry.request('/v2/_catalog?n=2&last=b/x')).json()).toEqual({ repositories: ['c'] });
  });
});

describe('referrers', () => {
  test('a manifest with a subject is listed, filterable by artifactType', async () => {
    const subject = await pushImage(registry, 'lib/app', 'v1');
    const emptyConfig = await pushBlob(registry, 'lib/app', bytesOf('{}'));
    const subjectDescriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: bytesOf(subject.body).byteLength };
    const artifact = (artifactType: string, note: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyConfig, size: 2 },
        layers: [],
        subject: subjectDescriptor,
        annotations: { note },
      });
    const sbom = artifact('application/spdx+json', 'sbom');
    const signature = artifact('application/vnd.dev.cosign.signature', 'sig');
    for (const body of [sbom, signature]) {
      const put = await registry.request(`/v2/lib/app/manifests/${digestOf(bytesOf(body))}`, { method: 'PUT', body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
      expect(put.status).toBe(201);
      expect(put.headers.get('oci-subject')).toBe(subject.digest);
    }
    const all = await registry.request(`/v2/lib/app/referrers/${subject.digest}`);
    expect(all.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json');
    const index = (await all.json()) as { manifests: { artifactType: string; digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests.map((m) => m.artifactType).sort()).toEqual(['application/spdx+json', 'application/vnd.dev.cosign.signature']);
    const filtered = await registry.request(`/v2/lib/app/referrers/${subject.digest}?artifactType=${encodeURIComponent('application/spdx+json')}`);
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    const only = (await filtered.json()) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(only.manifests).toHaveLength(1);
    expect(only.manifests[0]!.annotations).toEqual({ note: 'sbom' });
    await registry.request(`/v2/lib/app/manifests/${digestOf(bytesOf(sbom))}`, { method: 'DELETE' });
    const after = (await (await registry.request(`/v2/lib/app/referrers/${subject.digest}`)).json()) as { manifests: unknown[] };
    expect(after.manifests).toHaveLength(1);
    const none = (await (await registry.request(`/v2/lib/app/referrers/${digestOf(bytesOf('x'))}`)).json()) as { manifests: unknown[] };
    expect(none.manifests).toEqual([]);
    expect((await registry.request('/v2/lib/app/referrers/sha256:nope')).status).toBe(400);
  });
});

describe('blobs', () => {
  test('byte ranges, HEAD, and DELETE unlinking from one repository only', async () => {
    const content = bytesOf('0123456789');
    const digest = await pushBlob(registry, 'lib/app', content);
    await pushBlob(registry, 'lib/other', content);
    const head = await registry.request(`/v2/lib/app/blobs/${digest}`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('10');
    expect(head.headers.get('docker-content-digest')).toBe(digest);
    for (const [range, expected, contentRange] of [
      ['bytes=2-5', '2345', 'bytes 2-5/10'],
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=8-100', '89', 'bytes 8-9/10'],
    ] as const) {
      const partial = await registry.request(`/v2/lib/app/blobs/${digest}`, { headers: { range } });
      expect(partial.status).toBe(206);
      expect(partial.headers.get('content-range')).toBe(contentRange);
      expect(await partial.text()).toBe(expected);
    }
    const unsatisfiable = await registry.request(`/v2/lib/app/blobs/${digest}`, { headers: { range: 'bytes=10-' } });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get('content-range')).toBe('bytes */10');
    expect((await registry.request(`/v2/lib/app/blobs/${digest}`, { method: 'DELETE' })).status).toBe(202);
    expect((await registry.request(`/v2/lib/app/blobs/${digest}`)).status).toBe(404);
    expect((await registry.request(`/v2/lib/other/blobs/${digest}`)).status).toBe(200);
    expect((await registry.request(`/v2/lib/app/blobs/${digest}`, { method: 'DELETE' })).status).toBe(404);
  });
});
