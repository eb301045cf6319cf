import type { AppDeps } from '../app-env.js';
import { parseDigest } from '../core/digest.js';
import { OciError } from '../core/errors.js';
import {
  RemoteRegistryError,
  type BlobContent,
  type ManifestContent,
  type ManifestHead,
  type ReferrerEntry,
  type RemoteRegistry,
} from '../ports/remote-registry.js';
import { BlobLinks } from '../registry/blob-links.js';
import { Manifests, parseReference } from '../registry/manifests.js';
import { Uploads } from '../registry/uploads.js';

/** An OciError from the registry domain, as the copy engine expects failures: said, not transient. */
function refused(what: string, error: unknown): never {
  if (error instanceof OciError) {
    const detail = error.detail === undefined ? '' : ` ${JSON.stringify(error.detail)}`;
    throw new RemoteRegistryError(`${what}: ${error.code} ${error.message}${detail}`, false, error.status);
  }
  throw error;
}

/**
 * This Berth as a replication source or destination. Writes go through the registry domain
 * (Uploads verify every blob's digest before it becomes visible, Manifests validate and store a
 * manifest with its tag in one transaction and record its event), so content replicated in is
 * indistinguishable from content pushed by a client, and nothing half-written is ever visible.
 */
export class LocalRegistry implements RemoteRegistry {
  private readonly manifests: Manifests;
  private readonly uploads: Uploads;
  private readonly links: BlobLinks;

  constructor(private readonly deps: AppDeps) {
    this.manifests = new Manifests(deps);
    this.uploads = new Uploads(deps);
    this.links = new BlobLinks(deps.table);
  }

  async ping(): Promise<void> {}

  async repositories(): Promise<string[]> {
    const names: string[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.manifests.catalog(1000, last);
      names.push(...page.repositories);
      if (!page.more) return names;
      last = page.repositories.at(-1);
    }
  }

  async tags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.manifests.tags(repository, 1000, last);
      tags.push(...page.tags);
      if (!page.more) return tags;
      last = page.tags.at(-1);
    }
  }

  private async resolve(repository: string, reference: string) {
    try {
      return await this.manifests.resolve(repository, parseReference(reference, 'read'));
    } catch (error) {
      if (error instanceof OciError && error.code === 'MANIFEST_UNKNOWN') return null;
      return refused(`manifest ${repository}:${reference}`, error);
    }
  }

  async headManifest(repository: string, reference: string): Promise<ManifestHead | null> {
    const found = await this.resolve(repository, reference);
    return found && { digest: found.digest, mediaType: found.mediaType, size: found.size };
  }

  async getManifest(repository: string, reference: string): Promise<ManifestContent | null> {
    const found = await this.resolve(repository, reference);
    if (!found) return null;
    return { bytes: await this.manifests.body(found), mediaType: found.mediaType, digest: found.digest };
  }

  async putManifest(repository: string, reference: string, content: ManifestContent): Promise<void> {
    try {
      await this.manifests.put(repository, parseReference(reference, 'write'), content.bytes, content.mediaType);
    } catch (error) {
      refused(`storing manifest ${repository}:${reference}`, error);
    }
  }

  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    try {
      return (await this.manifests.delete(repository, parseReference(reference, 'read'))) !== null;
    } catch (error) {
      if (error instanceof OciError && error.code === 'MANIFEST_UNKNOWN') return false;
      return refused(`deleting ${repository}:${reference}`, error);
    }
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    return (await this.links.get(repository, digest)) !== null;
  }

  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const parsed = parseDigest(digest);
    if (!parsed) return false;
    return this.uploads.mount(repository, parsed, from, async () => true);
  }

  async getBlob(repository: string, digest: string): Promise<BlobContent | null> {
    const link = await this.links.get(repository, digest);
    if (!link) return null;
    const body = await this.deps.blobs.open(digest);
    return body && { size: link.size, body };
  }

  async putBlob(repository: string, digest: string, blob: BlobContent): Promise<void> {
    const parsed = parseDigest(digest);
    if (!parsed) throw new RemoteRegistryError(`blob ${digest}: not a digest Berth can verify`, false);
    let session = await this.uploads.start(repository);
    try {
      session = await this.uploads.append(session, blob.body, null, blob.size >= 0 ? blob.size : null);
      await this.uploads.finish(session, parsed);
    } catch (error) {
      await this.uploads.cancel(session).catch(() => undefined);
      refused(`blob ${digest} into ${repository}`, error);
    }
  }

  async referrers(repository: string, digest: string): Promise<ReferrerEntry[] | null> {
    return this.manifests.referrers(repository, digest, undefined);
  }
}
