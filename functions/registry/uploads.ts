import type { Hash } from 'node:crypto';
import type { RegistryDeps } from './registry-deps.js';
import { createDigester, type Digest, type DigestAlgorithm } from '../core/digest.js';
import { OciError } from '../core/errors.js';
import type { UploadState } from '../ports/blob-store.js';
import { StorageFullError } from '../ports/storage-full-error.js';
import { ConditionFailedError, type Item, type WriteOp } from '../ports/table.js';
import { BlobLinks } from './blob-links.js';
import { BlobRecords } from './blob-records.js';
import { keys } from './keys.js';

export interface UploadSession {
  id: string;
  repository: string;
  state: UploadState;
  /** Bumped on every accepted write: concurrent writers to one session cannot both win. */
  version: number;
  startedAt: string;
  /** Who opened the session (an account id), when identity is on: nobody else may continue it. */
  owner?: string;
  /**
   * The digest the bytes were verified against, recorded just before their commit: from then on
   * the blob store may have moved them out of the upload, so the session only takes a PUT of
   * this digest, which finishes the commit without reading them again.
   */
  committing?: string;
}

/** Inclusive byte positions a chunk claims (the request's Content-Range). */
export interface ChunkRange {
  start: number;
  end: number;
}

/**
 * Running sha256 of uploads whose bytes all streamed through this process. Node cannot save a
 * hash state between processes, and the common case (docker, skopeo, podman: one streamed PATCH;
 * containerd: one PUT) streams an upload through one process, so the hash is taken on the fly and
 * kept here between requests. When a later chunk lands in another process (Lambda instances,
 * several upload-service tasks) or after a restart, the entry is missing or behind and the upload
 * is re-hashed from storage at commit: correct always, fast in the common case.
 */
const runningHashes = new Map<string, { hash: Hash; algorithm: DigestAlgorithm; offset: number }>();
const maxRunningHashes = 10_000;

/** Drops every running hash, as a restart or a move to another process does. */
export function forgetRunningHashes(): void {
  runningHashes.clear();
}

function rememberHash(id: string, entry: { hash: Hash; algorithm: DigestAlgorithm; offset: number }): void {
  runningHashes.delete(id);
  runningHashes.set(id, entry);
  if (runningHashes.size > maxRunningHashes) runningHashes.delete(runningHashes.keys().next().value as string);
}

/**
 * The upload state machine (spec "Pushing blobs"): a session is opened by POST, grows by PATCH
 * (streamed, or chunked with Content-Range in order), and ends by PUT with the digest (blob
 * visible only now, after verification) or by DELETE. Each step is one conditional write of the
 * session, so a crash leaves the session at its last acknowledged size.
 */
export class Uploads {
  private readonly links: BlobLinks;
  private readonly records: BlobRecords;
  /**
   * Sessions a request of this process is writing, each with a promise settled when it is done.
   * A second writer of the same session never interleaves bytes with the first (the version check
   * would only catch that after the bytes are written): it waits up to `busyWaitMs` for the first
   * to finish, then works from the session as the first left it, else it is refused.
   */
  private readonly busy = new Map<string, Promise<void>>();
  private readonly busyWaitMs: number;

  constructor(
    private readonly deps: RegistryDeps,
    options: { busyWaitMs?: number } = {},
  ) {
    this.busyWaitMs = options.busyWaitMs ?? 5_000;
    this.links = new BlobLinks(deps.table);
    this.records = new BlobRecords(deps);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private item(session: UploadSession): Item {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.deps.config.uploadSessionTtlSeconds;
    return { ...keys.uploadSession(session.id), ...session, expiresAt };
  }

  /** end-4a POST: opens an empty session, belonging to `owner` when one is given. */
  async start(repository: string, owner?: string): Promise<UploadSession> {
    const id = crypto.randomUUID();
    const state = await this.deps.blobs.beginUpload(id);
    const session: UploadSession = { id, repository, state, version: 0, startedAt: this.now().toISOString(), ...(owner === undefined ? {} : { owner }) };
    await this.deps.table.put(this.item(session), { exists: false });
    rememberHash(id, { hash: createDigester('sha256'), algorithm: 'sha256', offset: 0 });
    return session;
  }

  /**
   * The open session `id` of `repository`, else BLOB_UPLOAD_UNKNOWN. With an `owner`, only a
   * session that owner opened: to anyone else it does not exist (its id may have leaked in a log).
   */
  async get(repository: string, id: string, owner?: string): Promise<UploadSession> {
    const item = /^[0-9a-f-]{36}$/.test(id) ? await this.deps.table.get(keys.uploadSession(id)) : null;
    if (!item || item.repository !== repository || (owner !== undefined && item.owner !== owner)) {
      throw new OciError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
    }
    return {
      id,
      repository,
      ...(typeof item.owner === 'string' ? { owner: item.owner } : {}),
      state: item.state as UploadState,
      version: item.version as number,
      startedAt: item.startedAt as string,
      ...(typeof item.committing === 'string' ? { committing: item.committing } : {}),
    };
  }

  /**
   * end-5 PATCH (and the body of end-6 PUT): appends a body at the session's size. A chunk with a
   * range must start exactly there (else 416, spec "Pushing a blob in chunks") and
   * carry exactly its claimed length.
   */
  async append(session: UploadSession, body: AsyncIterable<Uint8Array>, range: ChunkRange | null, contentLength: number | null): Promise<UploadSession> {
    return this.exclusively(session, (current) => this.appendNow(current, body, range, contentLength));
  }

  /**
   * Runs `work` as the session's only writer in this process. The writer before it is most often
   * one whose client is already gone: a body that came up short is answered at once
   * (entry/client-errors.ts) while its request still gives back the bytes it wrote, and a client
   * that retries at once must not be refused for that.
   */
  private async exclusively<T>(session: UploadSession, work: (current: UploadSession) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.busyWaitMs;
    let waited = false;
    for (let holder = this.busy.get(session.id); holder; holder = this.busy.get(session.id)) {
      waited = true;
      if (!(await settlesWithin(holder, deadline - Date.now()))) {
        throw new OciError('BLOB_UPLOAD_INVALID', 'another request is writing this upload', { uuid: session.id });
      }
    }
    let release!: () => void;
    this.busy.set(session.id, new Promise<void>((resolve) => (release = resolve)));
    try {
      // After a wait, the session as the other writer left it (or BLOB_UPLOAD_UNKNOWN if it closed it).
      return await work(waited ? await this.get(session.repository, session.id, session.owner) : session);
    } finally {
      this.busy.delete(session.id);
      release();
    }
  }

  private async appendNow(session: UploadSession, body: AsyncIterable<Uint8Array>, range: ChunkRange | null, contentLength: number | null): Promise<UploadSession> {
    if (session.committing) {
      throw new OciError('BLOB_UPLOAD_INVALID', 'the upload is complete and being committed: finish it with PUT ?digest=', { uuid: session.id, digest: session.committing });
    }
    const offset = session.state.size;
    if (range && range.start !== offset) {
      throw new OciError('BLOB_UPLOAD_INVALID', `chunk must start at byte ${offset}`, { expected: offset, got: range.start }, {
        status: 416,
        headers: { Range: rangeHeader(offset), 'Docker-Upload-UUID': session.id },
      });
    }
    const expected = range ? range.end - range.start + 1 : contentLength;
    if (range && contentLength !== null && contentLength !== expected) {
      throw new OciError('SIZE_INVALID', 'Content-Length does not match Content-Range', { contentLength, range });
    }
    const limit = this.deps.config.maxRequestBytes;
    if (limit !== undefined && contentLength !== null && contentLength > limit) throw tooLarge(limit, this.deps.config.uploadServiceUrl);

    const running = runningHashes.get(session.id);
    const hash = running && running.offset === offset ? running : undefined;
    runningHashes.delete(session.id);
    let seen = 0;
    const tapped = async function* () {
      const iterator = body[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await iterator.next();
        } catch (error) {
          throw new OciError('BLOB_UPLOAD_INVALID', 'the request body ended before it was complete', { error: String(error) });
        }
        if (next.done) return;
        const chunk = next.value;
        seen += chunk.byteLength;
        if (limit !== undefined && seen > limit) throw tooLarge(limit, undefined);
        if (expected !== null && seen > expected) throw new OciError('SIZE_INVALID', 'body is longer than declared', { expected });
        hash?.hash.update(chunk);
        yield chunk;
      }
    };
    const state = await this.deps.blobs.appendUpload(session.id, session.state, tapped()).catch((error: unknown) => {
      // The store gave back what it wrote: the session still holds its last acknowledged size.
      if (error instanceof StorageFullError) throw noSpace(session);
      throw error;
    });
    if (expected !== null && seen !== expected) {
      throw new OciError('SIZE_INVALID', 'body is shorter than declared', { expected, received: seen });
    }
    const next = await this.save({ ...session, state, version: session.version + 1 }, session.version);
    if (hash) rememberHash(session.id, { ...hash, offset: state.size });
    return next;
  }

  /** Writes the session if nobody wrote it since `version`. */
  private async save(next: UploadSession, version: number): Promise<UploadSession> {
    try {
      await this.deps.table.put(this.item(next), { equals: { version } });
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new OciError('BLOB_UPLOAD_INVALID', 'the upload was changed or closed by another request', { uuid: next.id });
      throw error;
    }
    return next;
  }

  /**
   * end-6 PUT `?digest=`: verifies the bytes against the digest (nothing is stored on mismatch),
   * makes the blob visible in the repository and closes the session. Answers only after the blob
   * record is written.
   */
  async finish(session: UploadSession, digest: Digest): Promise<{ size: number }> {
    return this.exclusively(session, (current) => this.finishNow(current, digest));
  }

  private async finishNow(session: UploadSession, digest: Digest): Promise<{ size: number }> {
    const size = session.state.size;
    if (session.committing === undefined) {
      const computed = await this.digestOf(session, digest.algorithm);
      if (computed !== digest.value) {
        await this.discard(session);
        throw new OciError('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: digest.value, computed });
      }
      // A commit may move the bytes out of the upload before the session below is closed; a
      // crash in between would leave an open session whose bytes are gone, and every retry of
      // this PUT failing. Recorded first, the verified digest lets a retry finish the commit.
      session = await this.save({ ...session, committing: digest.value, version: session.version + 1 }, session.version);
    } else if (session.committing !== digest.value) {
      await this.discard(session);
      throw new OciError('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: digest.value, verified: session.committing });
    }
    // Read before the commit, which may keep existing bytes instead of ours: the link below
    // commits only if garbage collection has not started removing those bytes since.
    const record = await this.records.current(digest.value);
    // Asked before the bytes become a blob, so a push over a quota stores nothing.
    const capabilityOps = await this.records.capabilityOps(session.repository, digest.value, size).catch(async (error: unknown) => {
      await this.discard(session);
      throw error;
    });
    await this.deps.blobs.commitUpload(session.id, session.state, digest.value);
    const closeSession: WriteOp = { delete: keys.uploadSession(session.id), condition: { equals: { version: session.version } } };
    const linked = await this.records.link(session.repository, digest.value, size, record, {
      extra: [closeSession],
      capabilityOps,
      stillValid: async () => {
        const current = await this.deps.table.get(keys.uploadSession(session.id));
        if (current?.version !== session.version) throw new OciError('BLOB_UPLOAD_UNKNOWN', 'the upload was closed by another request', { uuid: session.id });
      },
    });
    if (!linked) {
      await this.deps.table.delete(keys.uploadSession(session.id));
      throw new OciError('BLOB_UPLOAD_INVALID', 'the blob was garbage collected while this upload finished: push it again', { digest: digest.value });
    }
    return { size };
  }

  /** end-4b POST `?digest=`: a whole blob in one request. */
  async monolithic(repository: string, digest: Digest, body: AsyncIterable<Uint8Array>, contentLength: number | null, owner?: string): Promise<{ size: number }> {
    let session = await this.start(repository, owner);
    if (digest.algorithm !== 'sha256') rememberHash(session.id, { hash: createDigester(digest.algorithm), algorithm: digest.algorithm, offset: 0 });
    try {
      session = await this.append(session, body, null, contentLength);
      return await this.finish(session, digest);
    } catch (error) {
      await this.cancel(session).catch(() => undefined);
      throw error;
    }
  }

  /** end-8 DELETE: frees the session and its bytes. */
  async cancel(session: UploadSession): Promise<void> {
    await this.exclusively(session, (current) => this.discard(current));
  }

  private async discard(session: UploadSession): Promise<void> {
    runningHashes.delete(session.id);
    await this.deps.blobs.abortUpload(session.id, session.state);
    await this.deps.table.delete(keys.uploadSession(session.id));
  }

  /**
   * end-11 POST `?mount=&from=`: links a blob another repository holds without moving bytes.
   * Without `from`, any repository the caller may pull from will do. False when nothing mountable
   * was found (the caller then opens an ordinary session, as the spec says).
   */
  async mount(
    repository: string,
    digest: Digest,
    from: string | undefined,
    canPull: (repository: string) => Promise<boolean>,
    mayAdopt = false,
  ): Promise<boolean> {
    const candidates = from ? [from] : await this.links.repositoriesHolding(digest.value);
    for (const source of candidates) {
      if (!(await canPull(source))) continue;
      const link = await this.links.get(source, digest.value);
      if (!link) continue;
      const record = await this.records.current(digest.value);
      if (!record && !(await this.deps.blobs.stat(digest.value))) return false;
      return this.records.link(repository, digest.value, link.size, record);
    }
    if (mayAdopt && this.deps.blobs.verifiedStat) return this.adopt(repository, digest.value);
    return false;
  }

  /**
   * Links bytes that are in the blob store without having come through an upload here (another
   * region copied them in server-side), once the store has checked them against the digest. A
   * blob this registry already records is linked as a mount would link it.
   */
  private async adopt(repository: string, digest: string): Promise<boolean> {
    const record = await this.records.current(digest);
    const stored = await this.deps.blobs.verifiedStat!(digest);
    if (!stored) return false;
    if (record && record.size !== stored.size) return false;
    return this.records.link(repository, digest, stored.size, record);
  }

  private async digestOf(session: UploadSession, algorithm: DigestAlgorithm): Promise<string> {
    const running = runningHashes.get(session.id);
    runningHashes.delete(session.id);
    if (running && running.algorithm === algorithm && running.offset === session.state.size) {
      return `${algorithm}:${running.hash.digest('hex')}`;
    }
    const hash = createDigester(algorithm);
    for await (const chunk of this.deps.blobs.readUpload(session.id, session.state)) hash.update(chunk);
    return `${algorithm}:${hash.digest('hex')}`;
  }
}

/** The `Range` header of an upload holding `size` bytes (spec: `0-<last byte>`). */
export function rangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

function noSpace(session: UploadSession): OciError {
  return new OciError(
    'BLOB_UPLOAD_INVALID',
    `the registry's storage is full: this chunk was not kept; the upload still holds ${session.state.size} bytes and can resume from there once space is freed`,
    { uuid: session.id, size: session.state.size },
    { status: 507, headers: { Range: rangeHeader(session.state.size), 'Docker-Upload-UUID': session.id } },
  );
}

function tooLarge(limit: number, uploadServiceUrl: string | undefined): OciError {
  const where = uploadServiceUrl
    ? `send large uploads to the upload service at ${uploadServiceUrl}`
    : 'this deployment has no upload service; push in chunks (Content-Range PATCHes) no larger than the limit, or deploy the upload service';
  return new OciError('SIZE_INVALID', `request body exceeds this endpoint's limit of ${limit} bytes: ${where}`, { limit }, { status: 413 });
}

/** Whether `promise` settles within `ms` (false at once when `ms` is not positive). */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  if (ms <= 0) return false;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
