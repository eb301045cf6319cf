import type { LayerEntry } from './layer-reader.js';

/** The files a scan reads: OS identity, OS package databases, npm lockfiles. */
export function isWantedPath(path: string): boolean {
  switch (path) {
    case 'etc/os-release':
    case 'usr/lib/os-release':
    case 'var/lib/dpkg/status':
    case 'lib/apk/db/installed':
      return true;
  }
  if (path.startsWith('var/lib/dpkg/status.d/')) return !path.endsWith('.md5sums') && path.indexOf('/', 22) < 0;
  return path.endsWith('/package-lock.json') || path === 'package-lock.json' || path.endsWith('node_modules/.package-lock.json');
}

type Node = { kind: 'file'; data: Buffer } | { kind: 'symlink'; target: string };

/**
 * The wanted files of an image's filesystem, built layer over layer as the OCI image spec's
 * changeset rules say: an entry replaces the same path below it, `.wh.<name>` removes `<name>`
 * (and everything under it) from the layers below, and `.wh..wh..opq` empties its directory of
 * everything below. Only wanted paths are held, so memory is what those files weigh.
 */
export class ImageFiles {
  private readonly files = new Map<string, Node>();
  private layer = new Map<string, Node>();
  private hidden: { path: string; subtree: boolean; self: boolean }[] = [];

  /** Takes one entry of the layer being read. */
  add(entry: LayerEntry): void {
    switch (entry.kind) {
      case 'file':
        this.layer.set(entry.path, { kind: 'file', data: entry.data });
        return;
      case 'symlink':
        this.layer.set(entry.path, { kind: 'symlink', target: entry.target });
        return;
      case 'hardlink': {
        const target = this.layer.get(entry.target) ?? this.files.get(entry.target);
        if (target) this.layer.set(entry.path, target);
        return;
      }
      case 'whiteout':
        this.hidden.push({ path: entry.path, subtree: true, self: true });
        return;
      case 'opaque':
        this.hidden.push({ path: entry.path, subtree: true, self: false });
        return;
      case 'other':
        this.hidden.push({ path: entry.path, subtree: false, self: true });
        return;
    }
  }

  /** Ends the current layer: its whiteouts apply to the layers below, then its entries go on top. */
  endLayer(): void {
    for (const { path, subtree, self } of this.hidden) {
      if (self) this.files.delete(path);
      if (!subtree) continue;
      const prefix = path === '' ? '' : `${path}/`;
      for (const key of [...this.files.keys()]) if (key.startsWith(prefix)) this.files.delete(key);
    }
    for (const [path, node] of this.layer) this.files.set(path, node);
    this.layer = new Map();
    this.hidden = [];
  }

  /** A regular file's bytes, following symlinks among held paths; null when absent. */
  read(path: string): Buffer | null {
    let current = path;
    for (let hops = 0; hops < 8; hops++) {
      const node = this.files.get(current);
      if (!node) return null;
      if (node.kind === 'file') return node.data;
      const target = node.target.startsWith('/') ? node.target : `${current.slice(0, current.lastIndexOf('/') + 1)}${node.target}`;
      current = target.split('/').reduce<string[]>((parts, part) => {
        if (part === '..') parts.pop();
        else if (part !== '' && part !== '.') parts.push(part);
        return parts;
      }, []).join('/');
    }
    return null;
  }

  /** Held regular files whose path passes `filter`, in path order. */
  list(filter: (path: string) => boolean): string[] {
    return [...this.files.keys()].filter((path) => filter(path) && this.files.get(path)!.kind === 'file').sort();
  }
}
