import { indexPartitions, partitions } from '../table-layout.js';

/**
 * The registry's items in the single table (identity and other features keep to their own pk
 * prefixes). Sort keys order tags and repositories lexically by UTF-8 bytes, which is the order
 * the tags list and the catalog answer in.
 *
 *   pk                  sk                             item
 *   repo#<name>         meta                           repository: createdAt, generation (changed by every
 *                                                      manifest write and by garbage collection's removals)
 *                       gsi1: projrepos#<project> / <name>  (the repositories of a project)
 *   catalog             <name>                         catalog entry (one per repository)
 *   repo#<name>         blob#<digest>                  blob linked into the repository: size
 *                       gsi1: blobrepos#<digest> / <name>   (which repositories hold a blob)
 *   repo#<name>         manifest#<digest>              manifest: mediaType, size, body (inline when
 *                                                      small, else `inBlobStore`), subject, artifactType
 *   repo#<name>         tag#<tag>                      tag: digest, mediaType, updatedAt
 *                       gsi1: tagsof#<name>@<digest> / <tag>  (tags pointing at a manifest)
 *   repo#<name>         referrer#<subject>#<digest>    referrer descriptor of a manifest with `subject`
 *   repo#<name>         summary#<digest>#<capability>  what a capability concluded about a manifest
 *                                                      (scan counts, signature verdict) for pull gates
 *   repo#<name>         pulled#<digest>                pull statistics of a manifest: lastPulledAt (ISO),
 *                                                      count; flushed from memory by lifecycle/pull-stats
 *   upload#<id>         session                        upload session: repository, state, expiresAt
 *   blob#<digest>       meta                           blob in the blob store: size, createdAt, generation
 *                                                      (new on every link), state `deleting` while GC removes it
 *                       gsi1: blobs#<first hex digit> / <digest>  (every blob record, for garbage collection)
 */
const repo = (name: string) => `${partitions.repository}${name}`;

/** Where every tag item lives: its partition and sort-key prefixes. */
export const tagItems = { pkPrefix: partitions.repository, skPrefix: 'tag#' } as const;

export const keys = {
  repository: (name: string) => ({ pk: repo(name), sk: 'meta' }),
  catalogEntry: (name: string) => ({ pk: partitions.catalog, sk: name }),
  blobLink: (name: string, digest: string) => ({ pk: repo(name), sk: `blob#${digest}` }),
  blobLinkIndex: (digest: string) => `${indexPartitions.blobRepositories}${digest}`,
  manifest: (name: string, digest: string) => ({ pk: repo(name), sk: `manifest#${digest}` }),
  tag: (name: string, tag: string) => ({ pk: repo(name), sk: `${tagItems.skPrefix}${tag}` }),
  tagIndex: (name: string, digest: string) => `${indexPartitions.tagsOf}${name}@${digest}`,
  referrer: (name: string, subject: string, digest: string) => ({ pk: repo(name), sk: `referrer#${subject}#${digest}` }),
  referrerPrefix: (subject: string) => `referrer#${subject}#`,
  summary: (name: string, digest: string, capability: string) => ({ pk: repo(name), sk: `summary#${digest}#${capability}` }),
  summaryPrefix: (digest: string) => `summary#${digest}#`,
  pulled: (name: string, digest: string) => ({ pk: repo(name), sk: `pulled#${digest}` }),
  uploadSession: (id: string) => ({ pk: `${partitions.upload}${id}`, sk: 'session' }),
  blob: (digest: string) => ({ pk: `${partitions.blob}${digest}`, sk: 'meta' }),
  blobShard: (digest: string) => `${indexPartitions.blobs}${digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 2)}`,
  /** Every shard of the blob records' index. */
  blobShards: () => [...'0123456789abcdef'].map((digit) => `${indexPartitions.blobs}${digit}`),
  projectRepositories: (project: string) => `${indexPartitions.projectRepositories}${project}`,
} as const;
