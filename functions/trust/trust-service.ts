import type { AppDeps } from '../app-env.js';
import type { RegistryEvent } from '../core/jobs.js';
import { parseDigest } from '../core/digest.js';
import { OciError } from '../core/errors.js';
import { mediaTypes } from '../core/manifest.js';
import { projectOf } from '../identity/stores/project-store.js';
import { keys } from '../registry/keys.js';
import { Manifests } from '../registry/manifests.js';
import { accessoriesOf } from './accessories.js';
import { evaluateArtifact, holdsOnlyEnvelopes, type AccessoryMark, type TrustSummary } from './evaluate.js';
import { TrustKeyStore } from './key-store.js';
import type { TrustMaterial } from './verification.js';
import { trustKeys } from './keys.js';

/** Children of an index that inherit its verdict, and how deep indexes of indexes are followed. */
const maxChildren = 64;
const maxIndexDepth = 3;
const indexTypes = new Set<string>([mediaTypes.ociIndex, mediaTypes.dockerManifestList]);

/** Each scheme the artifact is not verified in itself takes a verified verdict of a parent index. */
function inherit(own: TrustSummary, parents: { index: string; summary: TrustSummary }[]): TrustSummary {
  const merged = { ...own };
  for (const scheme of ['cosign', 'notation'] as const) {
    if (own[scheme].state === 'verified') continue;
    const parent = parents.find((p) => p.summary[scheme]?.state === 'verified');
    if (parent) merged[scheme] = { ...parent.summary[scheme], reason: `verified through image index ${parent.index} (${parent.summary[scheme].reason})`, inheritedFrom: parent.index };
  }
  return merged;
}

/** A cosign tag-scheme signature tag, and the digest it signs. */
const sigTag = /^(?:(sha256)-([a-f0-9]{64})|(sha512)-([a-f0-9]{128}))\.sig$/;

export function subjectOfSigTag(tag: string | undefined): string | null {
  const match = tag ? sigTag.exec(tag) : null;
  return match ? `${match[1] ?? match[3]}:${match[2] ?? match[4]}` : null;
}

/** Where verdicts go once computed; the pull gate reads them from there. */
export interface VerdictSink {
  get(repository: string, digest: string): Promise<TrustSummary | null>;
  put(repository: string, digest: string, summary: TrustSummary): Promise<void>;
  /** Marks a signature manifest as one, so a pull policy lets clients fetch it to verify. */
  mark(repository: string, digest: string, mark: AccessoryMark): Promise<void>;
  remove(repository: string, digest: string): Promise<void>;
}

/**
 * Content trust's work off the request path: computing and storing the verdict of an artifact
 * when its signatures or its project's keys change, and deleting an artifact's accessories when it
 * goes. Every method is idempotent (events and jobs arrive at least once, in any order): each one
 * recomputes from what is stored now rather than applying a change.
 */
export class TrustService {
  readonly keys: TrustKeyStore;
  private readonly manifests: Manifests;

  constructor(
    private readonly deps: AppDeps,
    private readonly sink: VerdictSink,
  ) {
    this.keys = new TrustKeyStore(deps.table);
    this.manifests = new Manifests(deps);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** What the project trusts now; nothing where there are no projects (identity off) or no such project. */
  private async material(name: string): Promise<TrustMaterial> {
    const project = await this.deps.identity?.projects.get(name);
    return project ? this.keys.material({ name, id: project.id }) : { publicKeys: [], anchors: [] };
  }

  /**
   * Recomputes and stores the verdict of `digest`, and of the children of an image index, which
   * inherit a verified verdict from it (a multi-platform pull fetches the index, then each child by
   * digest; the index's signature covers them through its digests). An artifact with neither a
   * signature nor a signed parent has its verdict and its signed-list entry removed.
   */
  async verify(repository: string, digest: string, depth = 0): Promise<TrustSummary | null> {
    const project = projectOf(repository);
    const accessories = (await accessoriesOf(this.deps, repository, digest)).filter((a) => a.type !== 'subject.accessory');
    const parents = await this.parentsOf(project, repository, digest);
    const signedKey = trustKeys.signed(project, repository, digest);
    if (accessories.length === 0 && parents.length === 0) {
      // Most pushes are of unsigned artifacts: one read spares them two writes.
      const previous = await this.deps.table.get(signedKey);
      if (previous) await this.forget(repository, digest, previous.children as string[] | undefined, depth);
      return null;
    }
    const own = await evaluateArtifact(this.deps, repository, digest, await this.material(project), this.now());
    const summary = inherit(own, parents);
    // Pointers from each signature back to its subject: when a signature manifest is deleted, its
    // subject can no longer be read from it, and must still be re-verified.
    for (const accessory of accessories) {
      await this.deps.table.put({ ...trustKeys.signatureOf(project, repository, accessory.digest), subject: digest });
      if (await holdsOnlyEnvelopes(this.deps, repository, accessory)) {
        await this.sink.mark(repository, accessory.digest, { version: 1, accessoryOf: digest, computedAt: own.computedAt });
      }
    }
    const previous = await this.deps.table.get(signedKey);
    const children = await this.childrenOf(repository, digest);
    await this.deps.table.put({ ...signedKey, repository, digest, children });
    await this.sink.put(repository, digest, summary);
    await this.propagate(repository, digest, (previous?.children as string[] | undefined) ?? [], children, depth);
    return summary;
  }

  /** Drops the verdict of an artifact that has no signature (left), and what its children inherited. */
  private async forget(repository: string, digest: string, children: string[] | undefined, depth: number): Promise<void> {
    await this.sink.remove(repository, digest);
    await this.deps.table.delete(trustKeys.signed(projectOf(repository), repository, digest));
    await this.propagate(repository, digest, children ?? [], [], depth);
  }

  /** The verified verdicts of the indexes holding `digest` (pointers written by `propagate`). */
  private async parentsOf(project: string, repository: string, digest: string): Promise<{ index: string; summary: TrustSummary }[]> {
    const pointers = await this.deps.table.query(trustKeys.partition(project), { prefix: trustKeys.parentPrefix(repository, digest) });
    const parents: { index: string; summary: TrustSummary }[] = [];
    for (const pointer of pointers) {
      const summary = await this.sink.get(repository, pointer.index as string);
      if (summary) parents.push({ index: pointer.index as string, summary });
    }
    return parents;
  }

  /** The child manifests of an image index (none for anything else), at most `maxChildren`. */
  private async childrenOf(repository: string, digest: string): Promise<string[]> {
    const parsed = parseDigest(digest);
    const stored = parsed ? await this.manifests.resolve(repository, { digest: parsed }) : null;
    if (!stored || !indexTypes.has(stored.mediaType)) return [];
    try {
      const index = JSON.parse(Buffer.from(await this.manifests.body(stored)).toString('utf8')) as { manifests?: { digest?: unknown }[] };
      return (index.manifests ?? []).map((m) => m.digest).filter((d): d is string => typeof d === 'string').slice(0, maxChildren);
    } catch {
      return [];
    }
  }

  /** Points each child at its index and recomputes it; children no longer covered lose the pointer. */
  private async propagate(repository: string, index: string, before: string[], after: string[], depth: number): Promise<void> {
    if (depth >= maxIndexDepth) return;
    const project = projectOf(repository);
    for (const child of before.filter((c) => !after.includes(c))) await this.deps.table.delete(trustKeys.parent(project, repository, child, index));
    for (const child of after) await this.deps.table.put({ ...trustKeys.parent(project, repository, child, index), index });
    for (const child of new Set([...before, ...after])) await this.verify(repository, child, depth + 1);
  }

  /**
   * Re-verifies one page of a project's signed artifacts (its keys changed), after the cursor
   * `after`; answers the cursor to continue from, or null when the project is done.
   */
  async reverifyPage(project: string, after: string | undefined, pageSize = 100): Promise<string | null> {
    const page = await this.deps.table.query(trustKeys.partition(project), { prefix: trustKeys.signedPrefix, after, limit: pageSize });
    for (const item of page) await this.verify(item.repository as string, item.digest as string);
    return page.length < pageSize ? null : page[page.length - 1]!.sk;
  }

  /** Re-verifies every signed artifact of a project, page after page, in this process. */
  async reverifyProject(project: string): Promise<void> {
    let after: string | undefined;
    do after = (await this.reverifyPage(project, after)) ?? undefined;
    while (after !== undefined);
  }

  /** What a registry event changes for content trust. */
  async onEvent(event: RegistryEvent): Promise<void> {
    if (event.action === 'push') return this.onPush(event);
    if (event.action === 'untag') return this.onUntag(event);
    if (event.action === 'delete') return this.onDelete(event);
  }

  private async onPush(event: RegistryEvent): Promise<void> {
    const tagged = subjectOfSigTag(event.tag);
    if (tagged) return void (await this.verify(event.repository, tagged));
    if (event.subject) return void (await this.verify(event.repository, event.subject));
    // Any other push may be an artifact arriving after its signatures (a copy that brings the
    // signature first): it gets its verdict now; one without signatures is left as it is.
    if (await this.deps.table.get(keys.manifest(event.repository, event.digest))) await this.verify(event.repository, event.digest);
  }

  /** A `.sig` tag removed (`cosign clean`, or by hand): its subject lost that signature. */
  private async onUntag(event: RegistryEvent): Promise<void> {
    const subject = subjectOfSigTag(event.tag);
    if (subject) await this.verify(event.repository, subject);
  }

  private async onDelete(event: RegistryEvent): Promise<void> {
    // Re-pushed since: the event is stale, nothing of it holds.
    if (await this.deps.table.get(keys.manifest(event.repository, event.digest))) return;
    const project = projectOf(event.repository);

    // A signature went: its subject's verdict changes. A referrer's event names its subject; a
    // `.sig` manifest deleted by digest names none, so the pointer written when it was verified does.
    const pointerKey = trustKeys.signatureOf(project, event.repository, event.digest);
    const pointer = await this.deps.table.get(pointerKey);
    const subject = event.subject ?? (pointer?.subject as string | undefined);
    if (subject) await this.verify(event.repository, subject);
    if (pointer) await this.deps.table.delete(pointerKey);

    // The artifact went: so do its accessories (Harbor deletes them with it), each through the
    // registry so its own delete event reaches every subscriber (audit, replication, this one).
    for (const accessory of await accessoriesOf(this.deps, event.repository, event.digest)) {
      const digest = parseDigest(accessory.digest);
      if (!digest) continue;
      try {
        await this.manifests.delete(event.repository, { digest }, { actor: 'content-trust' });
      } catch (error) {
        // A policy refusing the delete (an immutable `.sig` tag) is an answer, not a failure to
        // retry forever: the accessory stays, as it would for a user's own DELETE.
        if (!(error instanceof OciError)) throw error;
      }
    }
    const signed = await this.deps.table.get(trustKeys.signed(project, event.repository, event.digest));
    await this.forget(event.repository, event.digest, signed?.children as string[] | undefined, 0);
    for (const pointer of await this.deps.table.query(trustKeys.partition(project), { prefix: trustKeys.parentPrefix(event.repository, event.digest) })) {
      await this.deps.table.delete({ pk: pointer.pk, sk: pointer.sk });
    }
  }
}
