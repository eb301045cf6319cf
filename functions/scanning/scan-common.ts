/**
 * What the scanning code shares without needing the layer reader (and its tar library): errors,
 * limits, and which artifacts are scannable. The registry's processes load the reader only when a
 * scan runs.
 */

/** A scan that cannot go on: bad input, limits exceeded. Its message is shown to users as is. */
export class ScanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanError';
  }
}

/** Limits that keep a scan's memory and time bounded whatever an image holds. */
export interface LayerLimits {
  /** Largest single file read into memory. */
  maxFileBytes: number;
  /** All files of one image kept in memory together. */
  maxTotalBytes: number;
  /** Tar entries of one image (a tar bomb of millions of empty files ends here). */
  maxEntries: number;
}

export const defaultLayerLimits: LayerLimits = {
  maxFileBytes: 64 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxEntries: 2_000_000,
};

const imageConfigTypes = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** Whether an artifact is something a scan can read (an image or an index of images). */
export function isScannable(manifest: { mediaType?: string; config?: { mediaType?: string }; manifests?: unknown[] }): boolean {
  if (Array.isArray(manifest.manifests)) return true;
  return imageConfigTypes.has(manifest.config?.mediaType ?? '');
}
