import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobStore, BlobStoreLocation, ByteRange, UploadState } from '../../ports/blob-store.js';
import { bucketDefinition } from './resource-definitions.js';

const MiB = 1024 * 1024;
/** S3's smallest part for every part of a multipart upload but the last. */
const minimumPartSize = 5 * MiB;
/** S3's largest part count: with 8 MiB parts a blob may reach 80 GB. */
const maximumParts = 10_000;

export interface S3BlobStoreOptions {
  /** Bytes per upload segment, and so per part of the final multipart copy (at least 5 MiB). */
  partSize?: number;
  /** Segments written to S3 at once while a body streams in (memory: this many × partSize). */
  concurrency?: number;
  /** A client for another region's bucket (`copyTo`); absent, blobs are never copied server-side. */
  clientFor?: (region: string) => S3Client;
}

/** CopyObject copies at most 5 GiB in one request; larger blobs stream instead. */
const maximumCopyBytes = 5 * 1024 * MiB;

/** The SHA-256 of a `sha256:<hex>` digest as S3 writes checksums (base64); null for other algorithms. */
function sha256Checksum(digest: string): string | null {
  return digest.startsWith('sha256:') ? Buffer.from(digest.slice('sha256:'.length), 'hex').toString('base64') : null;
}

/** The adapter's part of an UploadState, decoded. */
interface Segments {
  size: number;
  partSize: number;
  /** Full segments stored, numbered 1..parts. */
  parts: number;
  /** `nonce:first`: the append with this nonce wrote segments first..(next run's first - 1). */
  runs: string[];
  /** Nonce of the append that wrote the current tail object; '' when there is no tail. */
  tail: string;
  tailSize: number;
}

function isMissing(error: unknown): boolean {
  const name = (error as Error).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload' || status === 404;
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * BlobStore on S3.
 *
 * Layout of the bucket:
 *   blobs/<algorithm>/<first two hex digits>/<hex>   committed blobs, immutable, content-addressed
 *   uploads/<uploadId>/<nonce>/<n>                   segment n (exactly partSize bytes) of an upload
 *   uploads/<uploadId>/<nonce>/tail                  the bytes after the last full segment
 *
 * Why segments and not one multipart upload per session: S3 cannot read the parts of a multipart
 * upload before it completes, and an upload that continues in another process (chunked uploads on
 * Lambda) must be re-read to be hashed (`readUpload`). So each append stores full segments as
 * plain objects, buffering one segment at a time in memory (a Buffer body also lets the SDK retry
 * a throttled PUT, which a stream cannot), and the sub-5 MiB remainder as a tail object that the
 * next append folds into its first segment. Every append writes under its own random nonce, so
 * the state it started from stays valid whatever happens to it: a failed or racing append only
 * leaves unreferenced objects, swept by commit/abort or by the bucket's lifecycle rule.
 *
 * Commit is a server-side multipart copy: one UploadPartCopy per segment into a multipart upload
 * on the blob's own key, completed only after the caller verified the digest. Completion makes the
 * object appear whole or not at all, it works at any size (a single CopyObject stops at 5 GB), and
 * no byte passes through the function again. A crashed commit leaves an incomplete multipart
 * upload that the lifecycle rule aborts.
 */
export class S3BlobStore implements BlobStore {
  private readonly partSize: number;
  private readonly concurrency: number;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    options: S3BlobStoreOptions = {},
  ) {
    this.partSize = Math.max(options.partSize ?? 8 * MiB, minimumPartSize);
    this.concurrency = Math.max(options.concurrency ?? 4, 1);
    this.clientFor = options.clientFor;
  }

  private readonly clientFor: ((region: string) => S3Client) | undefined;

  /**
   * One CopyObject, sent to the target's region, with S3 computing the copy's SHA-256: the bytes
   * never leave S3, and the copy counts only when that checksum is the digest's (a copy that does
   * not match is never adopted at the target, whose next upload of that digest replaces it).
   * Blobs over 5 GiB, other digest algorithms, and any refusal
   * (permissions, a bucket that does not exist) answer false: the caller streams instead.
   */
  async copyTo(digest: string, target: BlobStoreLocation, size: number): Promise<boolean> {
    const expected = sha256Checksum(digest);
    if (!this.clientFor || !expected || size > maximumCopyBytes) return false;
    const client = this.clientFor(target.region);
    const key = blobKey(digest);
    let copied: string | undefined;
    try {
      const result = await client.send(
        new CopyObjectCommand({ Bucket: target.bucket, Key: key, CopySource: `${this.bucket}/${key}`, ChecksumAlgorithm: 'SHA256', ContentType: contentType }),
      );
      copied = result.CopyObjectResult?.ChecksumSHA256;
    } catch {
      return false;
    }
    return copied === expected;
  }

  async verifiedStat(digest: string): Promise<{ size: number } | null> {
    const expected = sha256Checksum(digest);
    if (!expected) return null;
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: blobKey(digest), ChecksumMode: 'ENABLED' }));
      return head.ChecksumSHA256 === expected ? { size: head.ContentLength ?? 0 } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: blobKey(digest) }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async open(digest: string, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | null> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: blobKey(digest),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return object.Body as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async downloadUrl(digest: string, options: { expiresInSeconds: number }): Promise<string | null> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: blobKey(digest) }), {
      expiresIn: options.expiresInSeconds,
    });
  }

  async delete(digest: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: blobKey(digest) }));
  }

  async beginUpload(uploadId: string): Promise<UploadState> {
    uploadPrefix(uploadId);
    return encode({ size: 0, partSize: this.partSize, parts: 0, runs: [], tail: '', tailSize: 0 });
  }

  async appendUpload(uploadId: string, state: UploadState, body: AsyncIterable<Uint8Array>): Promise<UploadState> {
    const start = decode(state, this.partSize);
    const nonce = randomBytes(6).toString('hex');
    const prefix = uploadPrefix(uploadId);
    const { partSize } = start;

    let buffer: Buffer[] = [];
    let buffered = 0;
    let received = 0;
    let parts = start.parts;
    let tailLoaded = start.tailSize === 0;
    const inFlight = new Set<Promise<void>>();
    let writeError: unknown;

    const writeSegment = (index: number, bytes: Buffer) => {
      if (index > maximumParts) throw new Error(`upload exceeds ${maximumParts} segments of ${partSize} bytes`);
      const write = this.s3
        .send(new PutObjectCommand({ Bucket: this.bucket, Key: `${prefix}${nonce}/${index}`, Body: bytes }))
        .then(
          () => undefined,
          (error: unknown) => {
            writeError ??= error;
          },
        )
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    };

    try {
      for await (const chunk of body) {
        if (writeError) throw writeError;
        if (chunk.length === 0) continue;
        if (!tailLoaded) {
          // The tail is only read when new bytes arrive: an empty append costs no S3 request.
          const tail = await this.readObject(`${prefix}${start.tail}/tail`);
          buffer.push(tail);
          buffered += tail.length;
          tailLoaded = true;
        }
        buffer.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        buffered += chunk.length;
        received += chunk.length;
        while (buffered >= partSize) {
          const joined = Buffer.concat(buffer, buffered);
          parts += 1;
          writeSegment(parts, joined.subarray(0, partSize));
          buffer = [joined.subarray(partSize)];
          buffered -= partSize;
          while (inFlight.size >= this.concurrency) await Promise.race(inFlight);
          if (writeError) throw writeError;
        }
      }
      await Promise.all(inFlight);
      if (writeError) throw writeError;
      if (received === 0) return state;
      if (buffered > 0) {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: `${prefix}${nonce}/tail`,
            Body: Buffer.concat(buffer, buffered),
          }),
        );
      }
    } catch (error) {
      // Let segment writes already under way finish before reporting, so none lands after a
      // retry has started from the same state.
      await Promise.allSettled(inFlight);
      throw error;
    }

    const runs = parts > start.parts ? [...start.runs, `${nonce}:${start.parts + 1}`] : start.runs;
    return encode({
      size: start.size + received,
      partSize,
      parts,
      runs,
      tail: buffered > 0 ? nonce : '',
      tailSize: buffered,
    });
  }

  async *readUpload(uploadId: string, state: UploadState): AsyncIterable<Uint8Array> {
    for (const key of this.sourceKeys(uploadId, decode(state, this.partSize))) {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      yield* object.Body as AsyncIterable<Uint8Array>;
    }
  }

  async commitUpload(uploadId: string, state: UploadState, digest: string): Promise<void> {
    const key = blobKey(digest);
    if (await this.stat(digest)) {
      await this.discard(uploadId);
      return;
    }
    const sources = this.sourceKeys(uploadId, decode(state, this.partSize));
    if (sources.length === 0) {
      await this.s3.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: new Uint8Array(0), ContentType: contentType }),
      );
    } else if (sources.length === 1) {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: this.copySource(sources[0]!),
          ContentType: contentType,
          MetadataDirective: 'REPLACE',
        }),
      );
    } else {
      await this.multipartCopy(key, sources);
    }
    await this.discard(uploadId);
  }

  async abortUpload(uploadId: string): Promise<void> {
    await this.discard(uploadId);
  }

  /** Assembles the blob from its segments with server-side part copies, all or nothing. */
  private async multipartCopy(key: string, sources: string[]): Promise<void> {
    const { UploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
    );
    try {
      const etags: string[] = new Array<string>(sources.length);
      let next = 0;
      const worker = async () => {
        while (next < sources.length) {
          const index = next++;
          const copied = await this.s3.send(
            new UploadPartCopyCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId,
              PartNumber: index + 1,
              CopySource: this.copySource(sources[index]!),
            }),
          );
          etags[index] = copied.CopyPartResult?.ETag ?? '';
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, sources.length) }, worker));
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
        }),
      );
    } catch (error) {
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  /** The objects holding an upload's bytes, in order. */
  private sourceKeys(uploadId: string, segments: Segments): string[] {
    const prefix = uploadPrefix(uploadId);
    const runs = segments.runs.map((run) => {
      const [nonce, first] = run.split(':');
      return { nonce: nonce!, first: Number(first) };
    });
    const keys: string[] = [];
    let run = 0;
    for (let index = 1; index <= segments.parts; index++) {
      while (run + 1 < runs.length && runs[run + 1]!.first <= index) run++;
      keys.push(`${prefix}${runs[run]!.nonce}/${index}`);
    }
    if (segments.tailSize > 0) keys.push(`${prefix}${segments.tail}/tail`);
    return keys;
  }

  /** Deletes every object an upload stored. Nothing to delete is fine (idempotent). */
  private async discard(uploadId: string): Promise<void> {
    const Prefix = uploadPrefix(uploadId);
    for (;;) {
      const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, MaxKeys: 1000 }));
      const objects = (listed.Contents ?? []).map(({ Key }) => ({ Key: Key! }));
      if (objects.length === 0) return;
      await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      if (!listed.IsTruncated) return;
    }
  }

  private async readObject(key: string): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return readAll(object.Body as AsyncIterable<Uint8Array>);
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key}`;
  }
}

const contentType = 'application/octet-stream';

/** `blobs/sha256/ab/ab12...`: the two-digit folder spreads keys over S3's partitions. */
export function blobKey(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  return `${bucketDefinition.blobPrefix}${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

function uploadPrefix(uploadId: string): string {
  // Upload ids become key segments: refuse anything that could escape its folder.
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(uploadId)) throw new Error(`invalid upload id: ${uploadId}`);
  return `${bucketDefinition.uploadPrefix}${uploadId}/`;
}

function encode(segments: Segments): UploadState {
  return { ...segments };
}

/** Reads the state back; a state missing fields (an upload that never stored anything) is empty. */
function decode(state: UploadState, defaultPartSize: number): Segments {
  const number = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);
  const runs = Array.isArray(state.runs) ? state.runs.filter((run): run is string => typeof run === 'string') : [];
  const segments: Segments = {
    size: number(state.size, 0),
    partSize: number(state.partSize, defaultPartSize),
    parts: number(state.parts, 0),
    runs,
    tail: typeof state.tail === 'string' ? state.tail : '',
    tailSize: number(state.tailSize, 0),
  };
  if (segments.size !== segments.parts * segments.partSize + segments.tailSize || (segments.parts > 0 && runs.length === 0)) {
    throw new Error('inconsistent upload state');
  }
  return segments;
}
