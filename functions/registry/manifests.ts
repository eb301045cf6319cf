import type { RegistryDeps } from './registry-deps.js';
import { digestOf, parseDigest, type Digest } from '../core/digest.js';
import type { RegistryEvent } from '../core/jobs.js';
import { OciError } from '../core/errors.js';
import { parseManifest, type ParsedManifest } from '../core/manifest.js';
import { isValidTag } from '../core/reference.js';
import { ConditionFailedError, type Item, type WriteOp } from '../ports/table.js';
import { BlobLinks } from './blob-links.js';
import { BlobRecords } from './blob-records.js';
import { keys } from './keys.js';
import { ManifestBodies } from './manifest-bodies.js';
import { repositoryWriteOps } from './repository-meta.js';

/** Tries of a manifest write whose read state changed before it committed. */
const writeAttempts = 8;

/** Largest manifest kept inline in its table item (DynamoDB items stop at 400 KB). */
const inlineLimit = 300 * 1024;

export interface StoredManifest {
  digest: string;
  mediaType: string;
  size: number;
  subject?: string;
}

export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Who is writing, for the event the write records. */
export interface WriteContext {
  /** The caller's name (user, robot, or a system writer such as `replication`). */
  actor?: string;
}

export interface DeleteOptions extends WriteContext {
  /**
   * More writes for the transaction that removes the manifest (garbage collection's fence on the
   * repository's generation): the delete happens only if they hold too.
   */
  extraOps?: WriteOp[];
}

export interface PutOptions extends WriteContext {
  /** Asked only when the tag already points elsewhere; false refuses the push (DENIED). */
  mayOverwriteTag?: (repository: string, tag: string) => Promise<boolean>;
}

/** A reference is a tag or a digest (spec: `<reference>`). */
export type Reference = { tag: string } | { digest: Digest };

/**
 * Parses `<reference>`. A malformed tag names nothing that can exist, so reading or deleting it
 * is MANIFEST_UNKNOWN (404, as the conformance suite expects); pushing to it is MANIFEST_INVALID.
 */
export function parseReference(reference: string, purpose: 'read' | 'write'): Reference {
  if (reference.includes(':')) {
    const digest = parseDigest(reference);
    if (!digest) throw new OciError('DIGEST_INVALID', 'invalid or unsupported digest', { reference });
    return { digest };
  }
  if (!isValidTag(reference)) {
    if (purpose === 'read') throw new OciError('MANIFEST_UNKNOWN', 'no manifest can have this malformed tag', { reference });
    throw new OciError('MANIFEST_INVALID', 'invalid tag', { reference });
  }
  return { tag: reference };
}

/**
 * Manifests, tags and referrers of repositories. A manifest, its tag, its referrer entry, the
 * repository's catalog entry and the event that reports the change (the outbox: a queue write in
 * the same transaction, `JobQueue.enqueueOp`) are written together: all visible or none, so every
 * acknowledged change has its event, whoever made it (the v2 API, the management API,
 * replication, retention).
 */
export class Manifests {
  private readonly links: BlobLinks;
  private readonly records: BlobRecords;
  private readonly pulled = new ManifestBodies();

  constructor(private readonly deps: RegistryDeps) {
    this.links = new BlobLinks(deps.table);
    this.records = new BlobRecords(deps);
  }

  /** Why a capability refuses moving or deleting this tag (immutable tags), or null. */
  private async tagRefusal(repository: string, tag: string): Promise<string | null> {
    for (const capability of this.deps.capabilities ?? []) {
      const reason = await capability.tagGuard?.(repository, tag);
      if (reason) return reason;
    }
    return null;
  }

  private async guardTag(repository: string, tag: string): Promise<void> {
    const reason = await this.tagRefusal(repository, tag);
    // 412 with DENIED: docker prints "denied: <message>", so the user reads which rule applies.
    if (reason) throw new OciError('DENIED', reason, { tag }, { status: 412 });
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The manifest a reference names in `repository`, or null. */
  async resolve(repository: string, reference: Reference): Promise<(StoredManifest & { item: Item }) | null> {
    let digest: string;
    if ('tag' in reference) {
      const tag = await this.deps.table.get(keys.tag(repository, reference.tag));
      if (!tag) return null;
      digest = tag.digest as string;
    } else {
      digest = reference.digest.value;
    }
    const item = await this.deps.table.get(keys.manifest(repository, digest));
    if (!item) return null;
    return { digest, mediaType: item.mediaType as string, size: item.size as number, subject: item.subject as string | undefined, item };
  }

  /**
   * end-3: the manifest a pull names, with its bytes when `withBody`. A manifest pulled by tag
   * recently comes from memory after the tag's read (ManifestBodies says why that is safe): one
   * table read instead of two on the hottest path of a registry.
   */
  async pull(repository: string, reference: Reference, withBody: boolean): Promise<(StoredManifest & { body: Uint8Array | null }) | null> {
    let digest: string;
    if ('tag' in reference) {
      const tag = await this.deps.table.get(keys.tag(repository, reference.tag));
      if (!tag) return null;
      digest = tag.digest as string;
      const known = this.pulled.get(repository, digest);
      if (known) return { digest, mediaType: known.mediaType, size: known.body.byteLength, body: withBody ? known.body : null };
    } else {
      digest = reference.digest.value;
    }
    const item = await this.deps.table.get(keys.manifest(repository, digest));
    if (!item) return null;
    const manifest = { digest, mediaType: item.mediaType as string, size: item.size as number, item };
    if (!withBody) return { ...manifest, body: null };
    const body = await this.body(manifest);
    if (typeof item.body === 'string') this.pulled.set(repository, digest, { mediaType: manifest.mediaType, body });
    return { ...manifest, body };
  }

  /** The stored bytes of a resolved manifest, exactly as pushed. */
  async body(manifest: StoredManifest & { item: Item }): Promise<Uint8Array> {
    if (typeof manifest.item.body === 'string') return Buffer.from(manifest.item.body, 'utf8');
    const chunks: Uint8Array[] = [];
    const stream = await this.deps.blobs.open(manifest.digest);
    if (!stream) throw new Error(`manifest ${manifest.digest} is missing from the blob store`);
    for await (const chunk of stream) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /** The event a write records, with its id and time. */
  private event(fields: Omit<RegistryEvent, 'version' | 'kind' | 'id' | 'at' | 'actor'>, context: WriteContext): RegistryEvent {
    return {
      version: 1,
      kind: 'registry-event',
      id: crypto.randomUUID(),
      at: this.now().toISOString(),
      ...fields,
      ...(context.actor === undefined ? {} : { actor: context.actor }),
    };
  }

  /**
   * end-7 PUT: validates and stores a manifest under its digest, and under `tag` when the
   * reference is a tag, recording a `push` event with it.
   */
  async put(
    repository: string,
    reference: Reference,
    bytes: Uint8Array,
    contentType: string | undefined,
    options: PutOptions = {},
  ): Promise<StoredManifest & { parsed: ParsedManifest; created: boolean }> {
    // The tag is written only if it still points where it did when read (compare-and-set): a
    // writer that lost a race reads it again and decides again, so a tag created or moved in
    // between is never overwritten by a caller who may not overwrite it.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.putOnce(repository, reference, bytes, contentType, options);
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        if (attempt === 3) throw new OciError('TOOMANYREQUESTS', 'the tag is being changed by other requests at this moment; retry', { repository });
      }
    }
  }

  private async putOnce(
    repository: string,
    reference: Reference,
    bytes: Uint8Array,
    contentType: string | undefined,
    options: PutOptions,
  ): Promise<StoredManifest & { parsed: ParsedManifest; created: boolean }> {
    const mayOverwriteTag = options.mayOverwriteTag ?? (async () => true);
    const parsed = parseManifest(bytes, contentType);
    const algorithm = 'digest' in reference ? reference.digest.algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if ('digest' in reference && reference.digest.value !== digest) {
      throw new OciError('DIGEST_INVALID', 'manifest digest does not match the reference', { reference: reference.digest.value, computed: digest });
    }
    let largeRecord: Item | null = null;
    if (bytes.byteLength > inlineLimit) {
      largeRecord = await this.records.current(digest);
      await this.storeLarge(digest, bytes);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.write(repository, reference, bytes, parsed, digest, largeRecord, mayOverwriteTag, options);
        return { digest, mediaType: parsed.mediaType, size: bytes.byteLength, subject: parsed.subject, parsed, created };
      } catch (error) {
        // The repository, a tag or a blob record changed since they were read (a concurrent push,
        // a collection): read again, and check the references again.
        if (!(error instanceof ConditionFailedError) || attempt >= writeAttempts) throw error;
        if (largeRecord) largeRecord = await this.records.current(digest);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  /** One try of a manifest write: reads, checks, and commits everything in one transaction. */
  private async write(
    repository: string,
    reference: Reference,
    bytes: Uint8Array,
    parsed: ParsedManifest,
    digest: string,
    largeRecord: Item | null,
    mayOverwriteTag: (repository: string, tag: string) => Promise<boolean>,
    options: PutOptions,
  ): Promise<boolean> {
    // The meta item first: the references checked below hold at the generation read here.
    const meta = await this.deps.table.get(keys.repository(repository));
    await this.checkReferences(repository, parsed);

    const now = this.now().toISOString();
    const ops: WriteOp[] = [];
    const manifestItem: Item = {
      ...keys.manifest(repository, digest),
      mediaType: parsed.mediaType,
      size: bytes.byteLength,
      createdAt: now,
      ...(parsed.subject ? { subject: parsed.subject } : {}),
      ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
    };
    if (bytes.byteLength <= inlineLimit) {
      manifestItem.body = Buffer.from(bytes).toString('utf8');
    } else {
      manifestItem.inBlobStore = true;
      // Linked like a blob, so whatever asks "does a repository still hold these bytes" (garbage
      // collection) sees them; it also lets the bytes be fetched as a blob, as in Distribution.
      if (largeRecord === null && !(await this.deps.blobs.stat(digest))) await this.storeLarge(digest, bytes);
      ops.push(this.records.recordOp(digest, bytes.byteLength, largeRecord));
      ops.push({ put: this.links.linkItem(repository, digest, bytes.byteLength, this.now()) });
    }
    ops.push({ put: manifestItem });
    let created = true;
    let previousDigest: string | undefined;
    if ('tag' in reference) {
      const current = await this.deps.table.get(keys.tag(repository, reference.tag));
      if (current && current.digest !== digest) previousDigest = current.digest as string;
      if (current && current.digest !== digest) {
        await this.guardTag(repository, reference.tag);
        if (!(await mayOverwriteTag(repository, reference.tag))) {
          throw new OciError('DENIED', `tag ${reference.tag} may not be overwritten by this caller`, { tag: reference.tag });
        }
      }
      created = !current;
      ops.push({
        put: {
          ...keys.tag(repository, reference.tag),
          digest,
          mediaType: parsed.mediaType,
          updatedAt: now,
          gsi1pk: keys.tagIndex(repository, digest),
          gsi1sk: reference.tag,
        },
        condition: current ? { equals: { digest: current.digest as string } } : { exists: false },
      });
    }
    if (parsed.subject) {
      ops.push({
        put: {
          ...keys.referrer(repository, parsed.subject, digest),
          mediaType: parsed.mediaType,
          digest,
          size: bytes.byteLength,
          ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
          ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
        },
      });
    }
    ops.push(...repositoryWriteOps(repository, meta, this.now()));
    ops.push(
      this.deps.queue.enqueueOp(
        this.event(
          {
            action: 'push',
            repository,
            digest,
            mediaType: parsed.mediaType,
            size: bytes.byteLength,
            ...('tag' in reference ? { tag: reference.tag } : {}),
            ...(previousDigest ? { previousDigest } : {}),
            ...(parsed.subject ? { subject: parsed.subject } : {}),
            ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
          },
          options,
        ),
      ),
    );
    await this.deps.table.transact(ops);
    this.pulled.forget(repository, digest);
    return created;
  }

  /** Every blob and child manifest a manifest names must already be in the repository. */
  private async checkReferences(repository: string, parsed: ParsedManifest): Promise<void> {
    const missing: string[] = [];
    await Promise.all([
      ...[...new Set(parsed.blobs)].map(async (digest) => {
        if (!(await this.deps.table.get(keys.blobLink(repository, digest)))) missing.push(digest);
      }),
      ...[...new Set(parsed.manifests)].map(async (digest) => {
        if (!(await this.deps.table.get(keys.manifest(repository, digest)))) missing.push(digest);
      }),
    ]);
    if (missing.length > 0) {
      throw new OciError('MANIFEST_BLOB_UNKNOWN', 'manifest references blobs or manifests unknown to this repository', { missing: missing.sort() }, { status: 400 });
    }
  }

  private async storeLarge(digest: string, bytes: Uint8Array): Promise<void> {
    if (await this.deps.blobs.stat(digest)) return;
    const id = crypto.randomUUID();
    const state = await this.deps.blobs.beginUpload(id);
    const next = await this.deps.blobs.appendUpload(id, state, (async function* () {
      yield bytes;
    })());
    await this.deps.blobs.commitUpload(id, next, digest);
  }

  /**
   * end-9 DELETE by digest removes the manifest, every tag pointing at it and its referrer entry
   * (a `delete` event); by tag removes only the tag (an `untag` event). Null when nothing was there.
   */
  async delete(repository: string, reference: Reference, context: DeleteOptions = {}): Promise<StoredManifest | null> {
    if ('tag' in reference) {
      const tag = await this.deps.table.get(keys.tag(repository, reference.tag));
      if (!tag) return null;
      await this.guardTag(repository, reference.tag);
      const digest = tag.digest as string;
      await this.deps.table.transact([
        { delete: keys.tag(repository, reference.tag), condition: { equals: { digest } } },
        this.deps.queue.enqueueOp(this.event({ action: 'untag', repository, digest, tag: reference.tag, mediaType: tag.mediaType as string }, context)),
      ]);
      return { digest, mediaType: tag.mediaType as string, size: 0 };
    }
    const manifest = await this.resolve(repository, reference);
    if (!manifest) return null;
    const tags = await this.deps.table.query(keys.tagIndex(repository, manifest.digest), { index: 'gsi1' });
    for (const tag of tags) await this.guardTag(repository, tag.gsi1sk as string);
    const ops: WriteOp[] = tags.map((tag) => ({ delete: { pk: tag.pk, sk: tag.sk }, condition: { equals: { digest: manifest.digest } } }));
    const last: WriteOp[] = [
      { delete: keys.manifest(repository, manifest.digest) },
      ...(context.extraOps ?? []),
      this.deps.queue.enqueueOp(
        this.event(
          {
            action: 'delete',
            repository,
            digest: manifest.digest,
            mediaType: manifest.mediaType,
            ...(manifest.subject ? { subject: manifest.subject } : {}),
          },
          { ...(context.actor === undefined ? {} : { actor: context.actor }) },
        ),
      ),
    ];
    if (manifest.subject) last.push({ delete: keys.referrer(repository, manifest.subject, manifest.digest) });
    if (manifest.item.inBlobStore) last.push({ delete: keys.blobLink(repository, manifest.digest) });
    // More than one transaction's worth of tags: tags go first and the manifest (with its referrer
    // entry) last, so a crash in between leaves a manifest with fewer tags, never a tag naming a
    // manifest that is gone (which a repeated DELETE, answering 404, could no longer clean up).
    while (ops.length + last.length > 100) await this.deps.table.transact(ops.splice(0, 100));
    await this.deps.table.transact([...ops, ...last]);
    this.pulled.forget(repository, manifest.digest);
    return manifest;
  }

  /** end-8a/8b: tags in lexical order, `n` at most, after `last`. */
  async tags(repository: string, n: number | undefined, last: string | undefined): Promise<{ tags: string[]; more: boolean }> {
    if (n === 0) return { tags: [], more: false };
    const items = await this.deps.table.query(keys.repository(repository).pk, {
      prefix: 'tag#',
      after: last !== undefined ? `tag#${last}` : undefined,
      limit: n === undefined ? undefined : n + 1,
    });
    const tags = items.map((item) => item.sk.slice(4));
    if (n !== undefined && tags.length > n) return { tags: tags.slice(0, n), more: true };
    return { tags, more: false };
  }

  async repositoryExists(repository: string): Promise<boolean> {
    return (await this.deps.table.get(keys.repository(repository))) !== null;
  }

  /** end-12: manifests whose subject is `subject`, optionally only of one artifactType. */
  async referrers(repository: string, subject: string, artifactType: string | undefined): Promise<ReferrerDescriptor[]> {
    const items = await this.deps.table.query(keys.repository(repository).pk, { prefix: keys.referrerPrefix(subject) });
    return items
      .filter((item) => artifactType === undefined || item.artifactType === artifactType)
      .map((item) => ({
        mediaType: item.mediaType as string,
        digest: item.digest as string,
        size: item.size as number,
        ...(item.artifactType ? { artifactType: item.artifactType as string } : {}),
        ...(item.annotations ? { annotations: item.annotations as Record<string, string> } : {}),
      }));
  }

  /** The catalog: repository names in lexical order, `n` at most, after `last`. */
  async catalog(n: number | undefined, last: string | undefined): Promise<{ repositories: string[]; more: boolean }> {
    if (n === 0) return { repositories: [], more: false };
    const items = await this.deps.table.query('catalog', { after: last, limit: n === undefined ? undefined : n + 1 });
    const names = items.map((item) => item.sk);
    if (n !== undefined && names.length > n) return { repositories: names.slice(0, n), more: true };
    return { repositories: names, more: false };
  }
}
