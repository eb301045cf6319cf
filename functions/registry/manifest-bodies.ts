/** What a pull by tag needs besides the tag: the manifest's bytes and the type it was stored as. */
export interface PulledManifest {
  mediaType: string;
  body: Uint8Array;
}

/**
 * Manifests recently pulled, so a pull by tag reads only the tag from the table. A digest names
 * its bytes for ever, and a tag is read on every pull (a deleted manifest has no tags left), so
 * what an entry holds cannot go wrong except the stored media type, which only a push of the same
 * bytes under another Content-Type changes: entries live `ttlMs` (this process forgets at once
 * what it writes or deletes). Bounded by bytes, least recently used out first.
 */
export class ManifestBodies {
  private readonly entries = new Map<string, PulledManifest & { until: number }>();
  private bytes = 0;

  constructor(
    private readonly budgetBytes = 8 * 1024 * 1024,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(repository: string, digest: string): PulledManifest | undefined {
    const key = `${repository}\0${digest}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.until <= this.now()) {
      this.bytes -= entry.body.byteLength;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry;
  }

  set(repository: string, digest: string, manifest: PulledManifest): void {
    // One large manifest does not push out many small ones.
    if (manifest.body.byteLength > this.budgetBytes / 16) return;
    this.forget(repository, digest);
    // A copy of its own: a small Buffer is a view of a shared 8 KiB pool, which it would keep alive.
    const body = new Uint8Array(manifest.body);
    this.entries.set(`${repository}\0${digest}`, { mediaType: manifest.mediaType, body, until: this.now() + this.ttlMs });
    this.bytes += manifest.body.byteLength;
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(key);
      this.bytes -= entry.body.byteLength;
    }
  }

  forget(repository: string, digest: string): void {
    const key = `${repository}\0${digest}`;
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.body.byteLength;
  }

  /** Bytes held (for tests). */
  get size(): number {
    return this.bytes;
  }
}
