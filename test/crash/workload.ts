import { Client, Failure, Interrupted, streamOf, streamed, withDigest } from './client.js';
import { BlobContent, artifactManifest, emptyConfig, imageManifest, indexManifest, type ManifestContent } from './content.js';
import { slot, type Effect, type Ledger } from './ledger.js';

/** Moments a kill may be aimed at. */
export type WorkloadEvent =
  | { kind: 'large-progress'; fraction: number }
  | { kind: 'large-commit' }
  | { kind: 'manifest-put' }
  | { kind: 'blob-commit' }
  | { kind: 'mass-delete' };

/** What every pusher shares. */
export interface World {
  ledger: Ledger;
  client: Client;
  /** Every blob and manifest the workload ever pushed, by digest. */
  blobs: Map<string, BlobContent>;
  manifests: Map<string, ManifestContent>;
  /** Tags each repository's pusher has used (tags are not enumerable from digests). */
  tags: Map<string, Set<string>>;
  /** Audit events the registry owes: `<action> <repository> <digest> <tag>` of every acknowledged push and delete. */
  events: Set<string>;
  signal(event: WorkloadEvent): void;
  /** How long the request after an event took to be answered: kills are aimed within it. */
  took(kind: WorkloadEvent['kind'], ms: number): void;
  /** True once the server is being killed: pushers start nothing new. */
  stopping(): boolean;
}

/** Written by every pusher (the same base layers, concurrently), never deleted from: the mount source. */
export const sharedRepository = 'crash/shared';

type UploadMethod = 'monolithic' | 'post-put' | 'stream' | 'chunked';
export type LargeMethod = 'stream' | 'put-body' | 'monolithic';
const uploadMethods: UploadMethod[] = ['monolithic', 'post-put', 'stream', 'chunked'];

/** The session a push is using, so an interrupted push can resume it after the restart. */
interface UploadProgress {
  location: string | null;
}

export interface RoundPlan {
  /** Start the round with a large streamed upload of this many bytes (then a manifest naming it). */
  large?: { size: number; method: LargeMethod };
  /** Start the round by tagging one image 105 times and deleting it by digest. */
  massDelete?: boolean;
}

const artifactTypes = ['application/vnd.example.sbom.v1+json', 'application/vnd.example.signature.v1'];

function short(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/**
 * One client pushing to its own repository, one request at a time, so the order of its
 * acknowledged operations is the order they took effect. It reads the ledger to choose what to do
 * next (a tag to move, a manifest to delete), which is safe because nobody else writes there.
 */
export class Pusher {
  readonly repository: string;
  /** Manifests this pusher sent, listed before they are sent (a repeated push may land them). */
  private readonly images: ManifestContent[] = [];
  private readonly indexes: ManifestContent[] = [];
  private readonly artifacts: ManifestContent[] = [];
  private readonly standalone: BlobContent[] = [];
  private readonly tagNames = ['latest', 'v1', 'v2', 'v3', 'stable', 'edge'];
  private serial = 0;

  constructor(
    private readonly world: World,
    id: number,
    private readonly random: () => number,
    private readonly seed: number,
    private readonly baseLayers: BlobContent[],
  ) {
    this.repository = `crash/pusher-${id}`;
    world.tags.set(this.repository, new Set());
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private between(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low + 1));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** Reports the moment a kill may aim at, then times the request it announces. */
  private async aimable(kind: 'blob-commit' | 'manifest-put' | 'mass-delete' | 'large-commit', request: () => Promise<Response>): Promise<Response> {
    this.world.signal({ kind });
    const started = performance.now();
    const response = await request();
    this.world.took(kind, performance.now() - started);
    return response;
  }

  private get ledger(): Ledger {
    return this.world.ledger;
  }

  private present(manifest: ManifestContent): boolean {
    return this.ledger.value(slot.manifest(this.repository, manifest.digest)) === true;
  }

  private linked(repository: string, blob: BlobContent): boolean {
    return this.ledger.value(slot.blob(repository, blob.digest)) === true;
  }

  /** Pushes until the server is killed. Rejects only with a Failure: a real inconsistency. */
  async run(plan: RoundPlan): Promise<void> {
    try {
      if (plan.large) await this.largeImage(plan.large.size, plan.large.method);
      if (plan.massDelete) await this.massDelete();
      while (!this.world.stopping()) await this.step();
    } catch (error) {
      if (error instanceof Interrupted) return;
      throw error;
    }
  }

  private async step(): Promise<void> {
    const steps: [number, () => Promise<void>][] = [
      [5, () => this.pushImage().then(() => undefined)],
      [1.5, () => this.pushIndex()],
      [1.5, () => this.pushReferrer()],
      [1.5, () => this.moveTag()],
      [0.8, () => this.deleteTag()],
      [0.8, () => this.deleteSomeManifest()],
      [1, () => this.pushStandalone()],
      [0.7, () => this.deleteBlob()],
      [1, () => this.mount(this.pick(this.baseLayers))],
    ];
    let roll = this.random() * steps.reduce((sum, [weight]) => sum + weight, 0);
    for (const [weight, run] of steps) {
      roll -= weight;
      if (roll <= 0) return run();
    }
  }

  private layerSize(): number {
    const roll = this.random();
    if (roll < 0.7) return this.between(16, 64 * 1024);
    if (roll < 0.95) return this.between(64 * 1024, 512 * 1024);
    return this.between(1024 * 1024, 3 * 1024 * 1024);
  }

  private newBlob(kind: string, size: number, mediaType?: string): BlobContent {
    const blob = new BlobContent(`${this.seed}/${this.repository}/${kind}/${this.serial++}`, size, this.chance(0.1) ? 'sha512' : 'sha256', mediaType);
    this.world.blobs.set(blob.digest, blob);
    return blob;
  }

  // Blobs

  /** Any upload flow a client uses, acknowledged by its 201. */
  async pushBlob(repository: string, blob: BlobContent, method: UploadMethod = this.pick(uploadMethods)): Promise<void> {
    this.world.blobs.set(blob.digest, blob);
    const progress: UploadProgress = { location: null };
    const label = `push blob ${short(blob.digest)} (${blob.size} B) to ${repository} by ${method}`;
    const operation = this.ledger.begin(label, [{ key: slot.blob(repository, blob.digest), to: true }], () =>
      this.resumeBlob(repository, blob, progress, `repeat ${label}`),
    );
    await this.upload(label, repository, blob, method, progress);
    this.ledger.acknowledge(operation);
  }

  private async open(label: string, repository: string, progress: UploadProgress): Promise<string> {
    const response = await this.world.client.send(label, `/v2/${repository}/blobs/uploads/`, { method: 'POST', expect: [202] });
    progress.location = response.headers.get('location');
    if (!progress.location) throw new Failure(`${label}: 202 without Location`);
    return progress.location;
  }

  private async created(label: string, response: Response, blob: BlobContent): Promise<void> {
    if (response.headers.get('docker-content-digest') !== blob.digest) {
      throw new Failure(`${label}: 201 with Docker-Content-Digest ${response.headers.get('docker-content-digest')}`);
    }
  }

  private async upload(label: string, repository: string, blob: BlobContent, method: UploadMethod, progress: UploadProgress): Promise<void> {
    const { client } = this.world;
    const bytes = blob.bytes();
    const octets = { 'content-type': 'application/octet-stream' };
    if (method === 'monolithic') {
      const path = `/v2/${repository}/blobs/uploads/?digest=${encodeURIComponent(blob.digest)}`;
      await this.created(label, await this.aimable('blob-commit', () => client.send(label, path, { method: 'POST', headers: octets, body: bytes, expect: [201] })), blob);
      return;
    }
    let location = await this.open(label, repository, progress);
    if (method === 'post-put') {
      await this.created(label, await this.aimable('blob-commit', () => client.send(label, withDigest(location, blob.digest), { method: 'PUT', headers: octets, body: bytes, expect: [201] })), blob);
      return;
    }
    if (method === 'stream') {
      // skopeo sends a Content-Length when it knows the size; podman streams chunked.
      const init = this.chance(0.5) ? { body: bytes } : streamed({ body: streamOf(bytes, undefined, 16 * 1024) });
      const patched = await client.send(label, location, { method: 'PATCH', headers: octets, ...init, expect: [202] });
      location = patched.headers.get('location') ?? location;
      progress.location = location;
      await this.created(label, await this.aimable('blob-commit', () => client.send(label, withDigest(location, blob.digest), { method: 'PUT', expect: [201] })), blob);
      return;
    }
    // Ordered Content-Range chunks of at least 2 bytes, the last one in the PUT half the time.
    const cuts = [0];
    const pieces = Math.min(this.between(2, 4), Math.floor(blob.size / 2));
    for (let i = 1; i < pieces; i++) cuts.push(Math.max(cuts.at(-1)! + 2, Math.floor((blob.size * i) / pieces)));
    cuts.push(blob.size);
    const lastInPut = this.chance(0.5) && cuts.length > 2;
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [start, end] = [cuts[i]!, cuts[i + 1]! - 1];
      const chunk = { body: bytes.slice(start, end + 1), headers: { ...octets, 'content-range': `${start}-${end}` } };
      if (lastInPut && i + 2 === cuts.length) {
        await this.created(label, await this.aimable('blob-commit', () => client.send(label, withDigest(location, blob.digest), { method: 'PUT', ...chunk, expect: [201] })), blob);
        return;
      }
      const patched = await client.send(label, location, { method: 'PATCH', ...chunk, expect: [202] });
      location = patched.headers.get('location') ?? location;
      progress.location = location;
    }
    await this.created(label, await this.aimable('blob-commit', () => client.send(label, withDigest(location, blob.digest), { method: 'PUT', expect: [201] })), blob);
  }

  /**
   * Repeats an interrupted push the way a resuming client does: continue the session from the
   * Range it reports, or, when the session is gone, push again from the start.
   */
  private async resumeBlob(repository: string, blob: BlobContent, progress: UploadProgress, label: string): Promise<void> {
    const { client } = this.world;
    if (progress.location) {
      const status = await client.send(label, progress.location, { method: 'GET', expect: [204, 404] });
      if (status.status === 204) {
        const end = Number((status.headers.get('range') ?? '0-0').split('-')[1]);
        // "0-0" is an empty session here: no chunk of this workload is a single byte.
        const offset = end === 0 ? 0 : end + 1;
        let location = status.headers.get('location') ?? progress.location;
        if (offset < blob.size) {
          const patched = await client.send(label, location, {
            method: 'PATCH',
            body: blob.bytes().slice(offset),
            headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${blob.size - 1}` },
            expect: [202],
          });
          location = patched.headers.get('location') ?? location;
        }
        await this.created(label, await client.send(label, withDigest(location, blob.digest), { method: 'PUT', expect: [201] }), blob);
        return;
      }
    }
    await this.upload(label, repository, blob, this.pick(uploadMethods), { location: null });
  }

  private async pushStandalone(): Promise<void> {
    const blob = this.newBlob('standalone', this.layerSize());
    this.standalone.push(blob);
    await this.pushBlob(this.repository, blob);
  }

  private async deleteBlob(): Promise<void> {
    const candidates = this.standalone.filter((blob) => this.linked(this.repository, blob));
    if (candidates.length === 0) return;
    const blob = this.pick(candidates);
    const path = `/v2/${this.repository}/blobs/${blob.digest}`;
    const label = `delete blob ${short(blob.digest)} from ${this.repository}`;
    const operation = this.ledger.begin(label, [{ key: slot.blob(this.repository, blob.digest), to: false }], async () => {
      await this.world.client.send(`repeat ${label}`, path, { method: 'DELETE', expect: [202, 404] });
    });
    await this.world.client.send(label, path, { method: 'DELETE', expect: [202] });
    this.ledger.acknowledge(operation);
  }

  /** end-11: links a base layer the shared repository holds (pushing it there first if need be). */
  private async mount(base: BlobContent): Promise<void> {
    if (!this.linked(sharedRepository, base)) await this.pushBlob(sharedRepository, base);
    const from = this.chance(0.7) ? `&from=${encodeURIComponent(sharedRepository)}` : '';
    const path = `/v2/${this.repository}/blobs/uploads/?mount=${encodeURIComponent(base.digest)}${from}`;
    const label = `mount ${short(base.digest)} into ${this.repository}${from ? ' from shared' : ''}`;
    const send = async (what: string) => this.created(what, await this.world.client.send(what, path, { method: 'POST', expect: [201] }), base);
    const operation = this.ledger.begin(label, [{ key: slot.blob(this.repository, base.digest), to: true }], () => send(`repeat ${label}`));
    await send(label);
    this.ledger.acknowledge(operation);
  }

  // Manifests and tags

  private async putManifest(manifest: ManifestContent, tag: string | null): Promise<void> {
    this.world.manifests.set(manifest.digest, manifest);
    const repository = this.repository;
    const reference = tag ?? manifest.digest;
    const effects: Effect[] = [{ key: slot.manifest(repository, manifest.digest), to: true }];
    if (tag) {
      effects.push({ key: slot.tag(repository, tag), to: manifest.digest });
      this.world.tags.get(repository)!.add(tag);
    }
    const label = `put manifest ${short(manifest.digest)} (${manifest.bytes.byteLength} B) to ${repository}:${reference.slice(0, 20)}`;
    const put = (what: string) =>
      this.world.client.send(what, `/v2/${repository}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'content-type': manifest.mediaType },
        body: manifest.bytes,
        expect: [201],
      });
    const send = async (what: string, aim = false) => {
      const response = aim ? await this.aimable('manifest-put', () => put(what)) : await put(what);
      if (response.headers.get('docker-content-digest') !== manifest.digest) {
        throw new Failure(`${what}: 201 with Docker-Content-Digest ${response.headers.get('docker-content-digest')}`);
      }
      this.world.events.add(`push ${repository} ${manifest.digest} ${tag ?? ''}`);
    };
    const operation = this.ledger.begin(label, effects, () => send(`repeat ${label}`));
    await send(label, true);
    this.ledger.acknowledge(operation);
  }

  /** Config, one to three layers (a mounted base layer sometimes), then the manifest. */
  private async pushImage(tag: string | null | undefined = undefined): Promise<ManifestContent> {
    const config = this.newBlob('config', this.between(100, 2000), 'application/vnd.oci.image.config.v1+json');
    const layers: BlobContent[] = [];
    for (let i = this.between(1, 3); i > 0; i--) layers.push(this.newBlob('layer', this.layerSize()));
    for (const blob of [config, ...layers]) await this.pushBlob(this.repository, blob);
    if (this.chance(0.4)) {
      const base = this.pick(this.baseLayers);
      if (!this.linked(this.repository, base)) await this.mount(base);
      layers.unshift(base);
    }
    const docker = this.chance(0.2);
    const manifest = imageManifest({ config, layers, docker, nonce: `${this.seed}/${this.repository}/${this.serial++}`, large: !docker && this.chance(0.1) });
    this.images.push(manifest);
    await this.putManifest(manifest, tag === undefined ? (this.chance(0.6) ? this.pick(this.tagNames) : null) : tag);
    return manifest;
  }

  private async pushIndex(): Promise<void> {
    const present = this.images.filter((image) => this.present(image));
    if (present.length === 0) return;
    const children = [...new Set(Array.from({ length: this.between(1, 3) }, () => this.pick(present)))];
    const docker = children.every((child) => child.mediaType.includes('docker')) && this.chance(0.5);
    const index = indexManifest(children, `${this.seed}/${this.repository}/${this.serial++}`, docker);
    this.indexes.push(index);
    await this.putManifest(index, this.chance(0.7) ? this.pick(this.tagNames) : null);
  }

  /** An artifact whose subject is one of this repository's manifests (the referrers API). */
  private async pushReferrer(): Promise<void> {
    const subjects = [...this.images, ...this.indexes].filter((manifest) => this.present(manifest));
    if (subjects.length === 0) return;
    const config = emptyConfig();
    if (!this.linked(this.repository, config)) await this.pushBlob(this.repository, config, 'monolithic');
    const layer = this.newBlob('artifact', this.between(16, 4096));
    await this.pushBlob(this.repository, layer);
    const artifact = artifactManifest(this.pick(subjects), config, layer, this.pick(artifactTypes), `${this.seed}/${this.repository}/${this.serial++}`);
    this.artifacts.push(artifact);
    await this.putManifest(artifact, this.chance(0.2) ? this.pick(this.tagNames) : null);
  }

  private async moveTag(): Promise<void> {
    const targets = [...this.images, ...this.indexes].filter((manifest) => this.present(manifest));
    if (targets.length === 0) return;
    await this.putManifest(this.pick(targets), this.pick(this.tagNames));
  }

  private async deleteTag(): Promise<void> {
    const tagged = [...this.world.tags.get(this.repository)!].filter((tag) => this.ledger.value(slot.tag(this.repository, tag)) !== null);
    if (tagged.length === 0) return;
    const tag = this.pick(tagged);
    const path = `/v2/${this.repository}/manifests/${tag}`;
    const label = `delete tag ${this.repository}:${tag}`;
    const event = `untag ${this.repository} ${String(this.ledger.value(slot.tag(this.repository, tag)))} ${tag}`;
    const send = async (what: string, expect: number[]) => {
      const response = await this.world.client.send(what, path, { method: 'DELETE', expect });
      if (response.status === 202) this.world.events.add(event);
    };
    const operation = this.ledger.begin(label, [{ key: slot.tag(this.repository, tag), to: null }], () => send(`repeat ${label}`, [202, 404]));
    await send(label, [202]);
    this.ledger.acknowledge(operation);
  }

  /**
   * Any manifest no present index still names (deleting an index's child would break the index),
   * and that no artifact which may exist refers to: deleting a subject deletes its referrers
   * afterwards, on the worker (Harbor's accessories rule), which this model does not follow.
   */
  private async deleteSomeManifest(): Promise<void> {
    const referred = this.artifacts.filter((artifact) => this.ledger.allowed(slot.manifest(this.repository, artifact.digest)).includes(true)).map((artifact) => artifact.subject);
    const protectedDigests = new Set([...this.indexes.filter((index) => this.present(index)).flatMap((index) => index.children), ...referred]);
    const candidates = [...this.images, ...this.indexes, ...this.artifacts].filter((manifest) => this.present(manifest) && !protectedDigests.has(manifest.digest));
    if (candidates.length === 0) return;
    await this.deleteManifest(this.pick(candidates));
  }

  /** end-9 by digest: the manifest and every tag naming it go together. */
  private async deleteManifest(manifest: ManifestContent, signal = false): Promise<void> {
    const repository = this.repository;
    const effects: Effect[] = [{ key: slot.manifest(repository, manifest.digest), to: false }];
    for (const tag of this.world.tags.get(repository)!) {
      if (this.ledger.value(slot.tag(repository, tag)) === manifest.digest) effects.push({ key: slot.tag(repository, tag), to: null });
    }
    const path = `/v2/${repository}/manifests/${manifest.digest}`;
    const label = `delete manifest ${short(manifest.digest)} from ${repository} (${effects.length - 1} tags)`;
    const send = async (what: string, expect: number[], aim = false) => {
      const request = () => this.world.client.send(what, path, { method: 'DELETE', expect });
      const response = aim ? await this.aimable('mass-delete', request) : await request();
      if (response.status === 202) this.world.events.add(`delete ${repository} ${manifest.digest} `);
    };
    const operation = this.ledger.begin(label, effects, () => send(`repeat ${label}`, [202, 404]));
    await send(label, [202], signal);
    this.ledger.acknowledge(operation);
  }

  /** A manifest with more tags than one transaction can delete, then its deletion. */
  private async massDelete(): Promise<void> {
    const image = await this.pushImage(null);
    for (let i = 0; i < 105; i++) await this.putManifest(image, `mass-${i}`);
    await this.deleteManifest(image, true);
  }

  /** A large layer streamed in one request, as docker, skopeo and containerd push, then its image. */
  private async largeImage(size: number, method: LargeMethod): Promise<void> {
    const { client } = this.world;
    const blob = new BlobContent(`${this.seed}/${this.repository}/large/${this.serial++}`, size);
    this.world.blobs.set(blob.digest, blob);
    const repository = this.repository;
    const progress: UploadProgress = { location: null };
    const label = `push large blob ${short(blob.digest)} (${size} B) to ${repository} by ${method}`;
    const operation = this.ledger.begin(label, [{ key: slot.blob(repository, blob.digest), to: true }], () =>
      this.resumeBlob(repository, blob, progress, `repeat ${label}`),
    );
    let lastByteOut = 0;
    const body = () =>
      streamOf(blob.bytes(), (sent) => {
        this.world.signal({ kind: 'large-progress', fraction: sent / size });
        // Once the last byte is out, the server verifies and commits within this same request.
        if (sent === size && method !== 'stream') {
          this.world.signal({ kind: 'large-commit' });
          lastByteOut = performance.now();
        }
      });
    const committed = (response: Response) => {
      this.world.took('large-commit', performance.now() - lastByteOut);
      return response;
    };
    try {
      if (method === 'monolithic') {
        const path = `/v2/${repository}/blobs/uploads/?digest=${encodeURIComponent(blob.digest)}`;
        await this.created(label, committed(await client.send(label, path, { ...streamed({ method: 'POST', body: body() }), expect: [201] })), blob);
      } else {
        let location = await this.open(label, repository, progress);
        if (method === 'put-body') {
          await this.created(label, committed(await client.send(label, withDigest(location, blob.digest), { ...streamed({ method: 'PUT', body: body() }), expect: [201] })), blob);
        } else {
          const patched = await client.send(label, location, { ...streamed({ method: 'PATCH', body: body() }), expect: [202] });
          location = patched.headers.get('location') ?? location;
          progress.location = location;
          await this.created(label, await this.aimable('large-commit', () => client.send(label, withDigest(location, blob.digest), { method: 'PUT', expect: [201] })), blob);
        }
      }
      this.ledger.acknowledge(operation);
    } finally {
      blob.forget();
    }
    const config = this.newBlob('config', this.between(100, 2000), 'application/vnd.oci.image.config.v1+json');
    await this.pushBlob(repository, config);
    const manifest = imageManifest({ config, layers: [blob], nonce: `${this.seed}/${repository}/${this.serial++}` });
    this.images.push(manifest);
    await this.putManifest(manifest, `large-${this.serial}`);
  }
}
