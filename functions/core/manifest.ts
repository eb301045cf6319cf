// zod/mini: the same checks as zod's chained API at a twentieth of the bundle (Lambda cold start).
import * as z from 'zod/mini';
import { parseDigest } from './digest.js';
import { OciError } from './errors.js';

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

const indexTypes = new Set<string>([mediaTypes.ociIndex, mediaTypes.dockerManifestList]);
const imageTypes = new Set<string>([mediaTypes.ociManifest, mediaTypes.dockerManifest]);
export const manifestMediaTypes: ReadonlySet<string> = new Set([...indexTypes, ...imageTypes]);

/** Largest manifest accepted (the spec's guidance: registries SHOULD accept at least 4 MiB). */
export const maxManifestBytes = 4 * 1024 * 1024;

const digestString = z.string().check(z.refine((d) => parseDigest(d) !== null, 'invalid or unsupported digest'));
const stringMap = z.record(z.string(), z.string());
const descriptor = z.object({
  mediaType: z.string().check(z.minLength(1)),
  digest: digestString,
  size: z.int().check(z.nonnegative()),
  urls: z.optional(z.array(z.string())),
  annotations: z.optional(stringMap),
  artifactType: z.optional(z.string()),
  platform: z.optional(z.looseObject({ architecture: z.string(), os: z.string() })),
});
const imageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  config: descriptor,
  layers: z.array(descriptor),
  subject: z.optional(descriptor),
  annotations: z.optional(stringMap),
});
const imageIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  manifests: z.array(descriptor),
  subject: z.optional(descriptor),
  annotations: z.optional(stringMap),
});

export type Descriptor = z.infer<typeof descriptor>;

/** What the registry needs to know of a manifest to store and index it. */
export interface ParsedManifest {
  mediaType: string;
  /** Blobs that must already be in the repository (config and layers, foreign layers excepted). */
  blobs: string[];
  /** Manifests that must already be in the repository (an index's children). */
  manifests: string[];
  subject?: string;
  /** The referrers API's artifactType: the manifest's own, else (image manifests) the config's. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string, detail?: unknown): OciError {
  return new OciError('MANIFEST_INVALID', message, detail);
}

/**
 * Validates a pushed manifest (spec "Pushing Manifests"). The media type comes from
 * `Content-Type` when it names a manifest type, else from the body's `mediaType`; both must agree
 * when both are given. Docker schema 1 is refused: it is deprecated and unsigned content.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  if (bytes.byteLength > maxManifestBytes) {
    throw new OciError('SIZE_INVALID', `manifest exceeds the ${maxManifestBytes} byte limit`, { size: bytes.byteLength }, { status: 413 });
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch {
    throw invalid('manifest is not valid UTF-8 JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('manifest is not a JSON object');
  const body = json as Record<string, unknown>;
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  if (header === mediaTypes.dockerSchema1 || header === mediaTypes.dockerSchema1Signed || body.schemaVersion === 1) {
    throw invalid('Docker schema 1 manifests are not supported; push schema 2 or OCI', { mediaType: header ?? declared });
  }
  const headerType = header && manifestMediaTypes.has(header) ? header : undefined;
  if (headerType && declared && declared !== headerType) {
    throw invalid('manifest mediaType does not match Content-Type', { contentType: headerType, mediaType: declared });
  }
  const mediaType = headerType ?? declared ?? ('manifests' in body ? mediaTypes.ociIndex : 'layers' in body ? mediaTypes.ociManifest : undefined);
  if (!mediaType || !manifestMediaTypes.has(mediaType)) {
    throw invalid('unsupported manifest media type', { mediaType: mediaType ?? header ?? null });
  }

  if (indexTypes.has(mediaType)) {
    const parsed = imageIndex.safeParse(body);
    if (!parsed.success) throw invalid('invalid image index', parsed.error.issues);
    const index = parsed.data;
    return {
      mediaType,
      blobs: [],
      manifests: index.manifests.map((m) => m.digest),
      subject: index.subject?.digest,
      artifactType: index.artifactType,
      annotations: index.annotations,
    };
  }
  const parsed = imageManifest.safeParse(body);
  if (!parsed.success) throw invalid('invalid image manifest', parsed.error.issues);
  const manifest = parsed.data;
  const blobs = [manifest.config, ...manifest.layers].filter((d) => !d.urls?.length).map((d) => d.digest);
  return {
    mediaType,
    blobs,
    manifests: [],
    subject: manifest.subject?.digest,
    artifactType: manifest.artifactType ?? manifest.config.mediaType,
    annotations: manifest.annotations,
  };
}
