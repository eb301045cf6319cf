import type { AppDeps } from '../app-env.js';
import type { RegistryEvent } from '../core/jobs.js';
import { parseDigest } from '../core/digest.js';
import { projectOf } from '../identity/stores/project-store.js';
import { keys } from '../registry/keys.js';
import { Manifests } from '../registry/manifests.js';
import { accessoriesOf } from './accessories.js';
import { evaluateArtifact, type TrustSummary } from './evaluate.js';
import { TrustKeyStore } from './key-store.js';
import { trustKeys } from './keys.js';

/** A cosign tag-scheme signature tag, and the digest it signs. */
const sigTag = /^(sha256|sha512)-([a-f0-9]{64}|[a-f0-9]{128})\.sig$/;

export function subjectOfSigTag(tag: string | undefined): string | null {
  const match = tag ? sigTag.exec(tag) : null;
  return match ? `${match[1]}:${match[2]}` : null;
}

/** Where verdicts go once computed; the pull gate reads them from there. */
export interface VerdictSink {
  put(repository: string, digest: string, summary: TrustSummary): Promise<void>;
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

  /**
   * Recomputes and stores the verdict of `digest`. An artifact with no signature left has its
   * verdict and its entry in the project's signed list removed, so a key change skips it.
   */
  async verify(repository: string, digest: string): Promise<TrustSummary | null> {
    const project = projectOf(repository);
    const accessories = (await accessoriesOf(this.deps, repository, digest)).filter((a) => a.type !== 'subject.accessory');
    const signedKey = trustKeys.signed(project, repository, digest);
    if (accessories.length === 0) {
      // Most pushes are of unsigned artifacts: one read spares them two writes.
      if (await this.deps.table.get(signedKey)) {
        await this.sink.remove(repository, digest);
        await this.deps.table.delete(signedKey);
      }
      return null;
    }
    const summary = await evaluateArtifact(this.deps, repository, digest, await this.keys.material(project), this.now());
    // Pointers from each signature back to its subject: when a signature manifest is deleted, its
    // subject can no longer be read from it, and must still be re-verified.
    for (const accessory of accessories) {
      await this.deps.table.put({ ...trustKeys.signatureOf(project, repository, accessory.digest), subject: digest });
    }
    await this.deps.table.put({ ...signedKey, repository, digest });
    await this.sink.put(repository, digest, summary);
    return summary;
  }

  /** Re-verifies every signed artifact of a project (its keys changed). */
  async reverifyProject(project: string): Promise<number> {
    let after: string | undefined;
    let count = 0;
    for (;;) {
      const page = await this.deps.table.query(trustKeys.partition(project), { prefix: trustKeys.signedPrefix, after, limit: 100 });
      for (const item of page) {
        await this.verify(item.repository as string, item.digest as string);
        count++;
      }
      if (page.length < 100) return count;
      after = page[page.length - 1]!.sk;
    }
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
      if (digest) await this.manifests.delete(event.repository, { digest }, { actor: 'content-trust' });
    }
    await this.sink.remove(event.repository, event.digest);
    await this.deps.table.delete(trustKeys.signed(project, event.repository, event.digest));
  }
}
