import { ImageFiles, isWantedPath } from './image-files.js';
import type { ImageSource } from './image-source.js';
import { type Inventory, inventoryOf } from './inventory.js';
import { type ReadBudget, readLayer } from './layer-reader.js';
import { type LayerLimits, ScanError, defaultLayerLimits, isScannable } from './scan-common.js';

export { isScannable } from './scan-common.js';

const indexTypes = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  urls?: string[];
}

function parse(bytes: Uint8Array, digest: string): { mediaType?: string; config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] } {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ScanError(`manifest ${digest} is not JSON`);
  }
}

/** One image's inventory, read layer by layer from `source` (bottom layer first). */
async function scanImageManifest(source: ImageSource, digest: string, manifest: ReturnType<typeof parse>, limits: LayerLimits): Promise<Inventory> {
  if (!isScannable(manifest)) throw new ScanError(`artifact ${digest} is not a container image (config ${manifest.config?.mediaType ?? 'missing'}); nothing to scan`);
  const files = new ImageFiles();
  const budget: ReadBudget = { entries: 0, bytes: 0 };
  for (const layer of manifest.layers ?? []) {
    // Foreign (non-distributable) layers live elsewhere; Windows base layers are the usual case.
    if (layer.urls && layer.urls.length > 0) continue;
    await readLayer(await source.blob(layer.digest), isWantedPath, (entry) => files.add(entry), budget, limits);
    files.endLayer();
  }
  return inventoryOf(files);
}

/**
 * The package inventory of an artifact: an image, or every image of an index (attestation
 * manifests, platform `unknown/unknown`, are left out). An index's inventory holds the packages
 * of all its platforms, each package still under its own OS ecosystem.
 */
export async function scanArtifact(source: ImageSource, digest: string, limits: LayerLimits = defaultLayerLimits): Promise<Inventory> {
  const top = await source.manifest(digest);
  const manifest = parse(top.bytes, digest);
  if (!indexTypes.has(top.mediaType) && !Array.isArray(manifest.manifests)) return scanImageManifest(source, digest, manifest, limits);
  const children = (manifest.manifests ?? []).filter((child) => child.platform?.os !== 'unknown');
  if (children.length === 0) throw new ScanError(`index ${digest} lists no image to scan`);
  const merged: Inventory = { os: null, ecosystem: null, packages: [] };
  const seen = new Set<string>();
  for (const child of children) {
    const body = await source.manifest(child.digest);
    const inventory = await scanImageManifest(source, child.digest, parse(body.bytes, child.digest), limits);
    merged.os ??= inventory.os;
    merged.ecosystem ??= inventory.ecosystem;
    for (const pkg of inventory.packages) {
      const key = `${pkg.ecosystem}|${pkg.purl}|${pkg.path}`;
      if (!seen.has(key)) {
        seen.add(key);
        merged.packages.push(pkg);
      }
    }
  }
  return merged;
}
