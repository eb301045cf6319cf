// zod/mini: the same checks as zod's chained API at a twentieth of the bundle (Lambda cold start).
import * as z from 'zod/mini';

const booleanString = z.enum(['true', 'false']);

/**
 * Harbor's project metadata: string-valued settings on a project, each owned by the capability
 * that reads it (`public` by identity, the pull policies by scanning and trust, ...). Only these
 * keys are stored; the projects API refuses others with 400, as Harbor does for unknown keys.
 */
export const projectMetadataSchema = {
  /** Anyone may pull (identity). */
  public: booleanString,
  /** Scan every pushed artifact (scanning). */
  auto_scan: booleanString,
  /** Refuse pulls of artifacts with vulnerabilities at or above `severity` (scanning). */
  prevent_vul: booleanString,
  severity: z.enum(['none', 'low', 'medium', 'high', 'critical']),
  /** Use the system CVE allowlist instead of the project's own (scanning). */
  reuse_sys_cve_allowlist: booleanString,
  /** With `prevent_vul` on, also refuse artifacts without a finished scan (scanning; Berth's own key). */
  prevent_unscanned: booleanString,
  /** The project's CVE allowlist: comma-separated ids (scanning; Harbor keeps it beside the metadata). */
  cve_allowlist: z.string().check(z.maxLength(65536), z.regex(/^[A-Za-z0-9_.:,\s-]*$/)),
  /** When the project's CVE allowlist stops applying, in epoch seconds (scanning). */
  cve_allowlist_expires_at: z.string().check(z.regex(/^[0-9]{1,12}$/)),
  /** Generate an SBOM for every pushed artifact (scanning). */
  auto_sbom_generation: booleanString,
  /** Only pulls of artifacts with a verified Notation signature (trust). */
  enable_content_trust: booleanString,
  /** Only pulls of artifacts with a verified cosign signature (trust). */
  enable_content_trust_cosign: booleanString,
  /** The retention policy of the project (lifecycle). */
  retention_id: z.string().check(z.regex(/^[0-9]{1,15}$/)),
} as const;

export type ProjectMetadataKey = keyof typeof projectMetadataSchema;

/** The metadata a request may send: known keys only, each valid. */
export const projectMetadataChanges = z.strictObject(
  Object.fromEntries(Object.entries(projectMetadataSchema).map(([key, schema]) => [key, z.optional(schema)])) as {
    [K in ProjectMetadataKey]: z.ZodMiniOptional<(typeof projectMetadataSchema)[K]>;
  },
);

export type ProjectMetadataChanges = z.infer<typeof projectMetadataChanges>;
