import { OciError } from '../core/errors.js';
import { mediaTypes, parseManifest, type ParsedManifest } from '../core/manifest.js';
import { RemoteRegistryError, type ManifestContent, type RemoteRegistry } from '../ports/remote-registry.js';

/** How often and how patiently a transient failure (destination down, 5xx) is retried. */
export interface RetryPolicy {
  attempts: number;
  /** First delay; each further one doubles. */
  baseDelayMs: number;
}

export class StoppedError extends Error {
  constructor() {
    super('stopped by request');
    this.name = 'StoppedError';
  }
}

export interface CopyContext {
  source: RemoteRegistry;
  destination: RemoteRegistry;
  /** Replace a destination tag that names other content (Harbor's `override`). */
  override: boolean;
  retry: RetryPolicy;
  /** Parallel blob and child copies within one artifact. */
  concurrency: number;
  log(line: string): void;
  /** Throws StoppedError once the execution was stopped; asked between steps. */
  checkStopped(): Promise<void>;
  /**
   * A destination repository known to hold each blob copied so far, so the next repository that
   * needs it mounts it instead of uploading it again (cross-repository mount).
   */
  mountHints: Map<string, string>;
  /**
   * Puts blob `digest` into the destination without streaming it (S3 to S3 between two regions of
   * one deployment, then adopted there); false when that could not be done. Absent when the two
   * registries share no storage kind.
   */
  serverSideCopy?: (repository: string, digest: string, size: number) => Promise<boolean>;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Blobs from this size up go server-side when they can: a copy request and an adopting mount cost
 * two round trips, which a small blob's upload (one request) does not beat, while a layer's bytes
 * then never pass through the worker.
 */
export const serverSideCopyMinBytes = 1024 * 1024;

export type CopyOutcome = 'copied' | 'up-to-date' | 'skipped';

const referrerDepth = 3;

/** Runs `work`, again after a growing pause while it fails transiently, at most `attempts` times. */
export async function withRetry<T>(ctx: Pick<CopyContext, 'retry' | 'log' | 'sleep'>, what: string, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof RemoteRegistryError) || !error.transient || attempt >= ctx.retry.attempts) throw error;
      const delay = ctx.retry.baseDelayMs * 2 ** (attempt - 1);
      ctx.log(`retrying ${what} in ${delay} ms (attempt ${attempt} of ${ctx.retry.attempts} failed: ${error.message})`);
      await (ctx.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))))(delay);
    }
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Parses a manifest read from the source; garbage fails the copy before anything is written. */
function parseSourceManifest(content: ManifestContent, where: string): ParsedManifest {
  try {
    return parseManifest(content.bytes, content.mediaType);
  } catch (error) {
    const why = error instanceof OciError ? `${error.message}${error.detail === undefined ? '' : ` ${JSON.stringify(error.detail).slice(0, 300)}`}` : String(error);
    throw new RemoteRegistryError(`${where}: the source sent an unusable manifest (${why})`, false);
  }
}

/** Descriptors of config and layers with their sizes, to check what the source streams. */
function blobSizes(content: ManifestContent): Map<string, number> {
  const sizes = new Map<string, number>();
  const body = JSON.parse(Buffer.from(content.bytes).toString('utf8')) as { config?: { digest: string; size: number }; layers?: { digest: string; size: number }[] };
  for (const d of [body.config, ...(body.layers ?? [])]) if (d) sizes.set(d.digest, d.size);
  return sizes;
}

/**
 * Copies one artifact (`from.reference`, a tag or digest) to `to.repository`, tagging it `to.tag`
 * when given. Order makes an interrupted copy safe to run again: blobs before the manifest that
 * names them, children before their index, referrers after their subject, the tag last; so the
 * destination never shows a tag whose content is incomplete, and a re-run skips whatever arrived
 * (HEAD) and finishes the rest. Manifests travel byte for byte, so digests are identical.
 */
export async function copyArtifact(
  ctx: CopyContext,
  from: { repository: string; reference: string; tags?: ReadonlySet<string> },
  to: { repository: string; tag?: string },
): Promise<CopyOutcome> {
  const where = `${from.repository}:${from.reference}`;
  await ctx.checkStopped();
  const content = await withRetry(ctx, `reading ${where}`, () => ctx.source.getManifest(from.repository, from.reference));
  if (!content) throw new RemoteRegistryError(`${where} is not in the source registry`, false);
  if (to.tag) {
    const current = await withRetry(ctx, `checking ${to.repository}:${to.tag}`, () => ctx.destination.headManifest(to.repository, to.tag!));
    if (current?.digest === content.digest) {
      ctx.log(`${where} → ${to.repository}:${to.tag}: already at ${content.digest}`);
      return 'up-to-date';
    }
    if (current && !ctx.override) {
      ctx.log(`${where} → ${to.repository}:${to.tag}: skipped, the destination tag names ${current.digest} and override is off`);
      return 'skipped';
    }
  }
  await copyTree(ctx, from.repository, to.repository, content, where);
  await copyReferrers(ctx, from.repository, to.repository, content.digest, 0, from.tags);
  if (to.tag) {
    await ctx.checkStopped();
    await withRetry(ctx, `tagging ${to.repository}:${to.tag}`, () => ctx.destination.putManifest(to.repository, to.tag!, content));
  }
  ctx.log(`${where} → ${to.repository}${to.tag ? `:${to.tag}` : ''}: copied ${content.digest}`);
  return 'copied';
}

/** A manifest and everything it names, bottom up; skips what the destination already holds. */
async function copyTree(ctx: CopyContext, fromRepo: string, toRepo: string, content: ManifestContent, where: string): Promise<void> {
  const parsed = parseSourceManifest(content, where);
  if (await withRetry(ctx, `checking ${toRepo}@${content.digest}`, () => ctx.destination.headManifest(toRepo, content.digest))) return;
  if (parsed.manifests.length > 0) {
    await eachLimited([...new Set(parsed.manifests)], ctx.concurrency, async (child) => {
      await ctx.checkStopped();
      const childContent = await withRetry(ctx, `reading ${fromRepo}@${child}`, () => ctx.source.getManifest(fromRepo, child));
      if (!childContent) throw new RemoteRegistryError(`${where}: child manifest ${child} is not in the source registry`, false);
      await copyTree(ctx, fromRepo, toRepo, childContent, `${where} child ${child}`);
    });
  }
  if (parsed.blobs.length > 0) {
    const sizes = blobSizes(content);
    await eachLimited([...new Set(parsed.blobs)], ctx.concurrency, (digest) => copyBlob(ctx, fromRepo, toRepo, digest, sizes.get(digest)));
  }
  await ctx.checkStopped();
  await withRetry(ctx, `storing ${toRepo}@${content.digest}`, () => ctx.destination.putManifest(toRepo, content.digest, content));
}

async function copyBlob(ctx: CopyContext, fromRepo: string, toRepo: string, digest: string, size: number | undefined): Promise<void> {
  await ctx.checkStopped();
  await withRetry(ctx, `copying blob ${digest}`, async () => {
    if (await ctx.destination.hasBlob(toRepo, digest)) return;
    const hint = ctx.mountHints.get(digest);
    if (hint && hint !== toRepo && (await ctx.destination.mountBlob(toRepo, digest, hint))) return;
    if (ctx.serverSideCopy && size !== undefined && size >= serverSideCopyMinBytes) {
      if (await ctx.serverSideCopy(toRepo, digest, size)) {
        ctx.log(`copied blob ${digest} (${size} bytes) server-side`);
        ctx.mountHints.set(digest, toRepo);
        return;
      }
      ctx.log(`blob ${digest} (${size} bytes) could not be copied server-side (refused by S3 or by the destination); streaming it`);
    }
    const blob = await ctx.source.getBlob(fromRepo, digest);
    if (!blob) throw new RemoteRegistryError(`blob ${digest} is not in ${fromRepo} at the source`, false);
    if (size !== undefined && blob.size >= 0 && blob.size !== size) {
      throw new RemoteRegistryError(`blob ${digest}: the source sends ${blob.size} bytes where the manifest says ${size}`, false);
    }
    await ctx.destination.putBlob(toRepo, digest, { size: blob.size >= 0 ? blob.size : (size ?? -1), body: blob.body });
    ctx.mountHints.set(digest, toRepo);
  });
}

/**
 * Artifacts that refer to `subject` (signatures, SBOMs, attestations): through the referrers API
 * when the source has one, else the referrers tag schema (`sha256-<hex>`), plus cosign's tags
 * (`sha256-<hex>.sig`, `.att`, `.sbom`), which cosign writes whatever the registry supports.
 */
async function copyReferrers(ctx: CopyContext, fromRepo: string, toRepo: string, subject: string, depth: number, sourceTags?: ReadonlySet<string>): Promise<void> {
  if (depth >= referrerDepth) return;
  const tagBase = subject.replace(':', '-');
  const listed = await withRetry(ctx, `referrers of ${fromRepo}@${subject}`, () => ctx.source.referrers(fromRepo, subject));
  const referrers = listed ?? [];
  const fallbackTags = [`${tagBase}.sig`, `${tagBase}.att`, `${tagBase}.sbom`];
  if (listed === null) fallbackTags.push(tagBase);
  // With the source's tag list at hand, only tags that exist are read.
  const wanted = sourceTags ? fallbackTags.filter((tag) => sourceTags.has(tag)) : fallbackTags;
  for (const entry of referrers) {
    await ctx.checkStopped();
    const content = await withRetry(ctx, `reading referrer ${entry.digest}`, () => ctx.source.getManifest(fromRepo, entry.digest));
    if (!content) continue;
    await copyTree(ctx, fromRepo, toRepo, content, `referrer ${entry.digest} of ${subject}`);
    await copyReferrers(ctx, fromRepo, toRepo, entry.digest, depth + 1, sourceTags);
  }
  if (referrers.length > 0) {
    // A destination without the referrers API finds them through the tag schema instead.
    const destinationHasApi = (await withRetry(ctx, `referrers API of the destination`, () => ctx.destination.referrers(toRepo, subject))) !== null;
    if (!destinationHasApi) {
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: referrers }));
      const content: ManifestContent = { bytes: index, mediaType: mediaTypes.ociIndex, digest: '' };
      await withRetry(ctx, `referrers tag ${toRepo}:${tagBase}`, () => ctx.destination.putManifest(toRepo, tagBase, content));
    }
  }
  for (const tag of wanted) {
    const content = await withRetry(ctx, `reading ${fromRepo}:${tag}`, () => ctx.source.getManifest(fromRepo, tag));
    if (!content) continue;
    await copyTree(ctx, fromRepo, toRepo, content, `${fromRepo}:${tag}`);
    await withRetry(ctx, `tagging ${toRepo}:${tag}`, () => ctx.destination.putManifest(toRepo, tag, content));
    ctx.log(`${fromRepo}:${tag} → ${toRepo}:${tag}: copied ${content.digest}`);
  }
}

/** Deletes what a deleted source artifact was at the destination (Harbor's `deletion`). */
export async function deleteArtifact(ctx: Pick<CopyContext, 'destination' | 'retry' | 'log' | 'sleep'>, to: { repository: string; reference: string }): Promise<boolean> {
  const deleted = await withRetry(ctx, `deleting ${to.repository}:${to.reference}`, () => ctx.destination.deleteManifest(to.repository, to.reference));
  ctx.log(`${to.repository}:${to.reference}: ${deleted ? 'deleted' : 'was not at the destination'}`);
  return deleted;
}
