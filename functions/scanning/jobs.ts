// zod/mini: the worker Lambda loads this module.
import * as z from 'zod/mini';

/** Scanning's queue jobs (joined into the union of core/jobs.ts). */
const base = { version: z.literal(1), id: z.string().check(z.minLength(1)) };

/** Scan one artifact for the request `requestId` (a newer request makes this one moot). */
export const scanJob = z.object({
  ...base,
  kind: z.literal('scan'),
  repository: z.string().check(z.minLength(1)),
  digest: z.string().check(z.minLength(1)),
  requestId: z.string().check(z.minLength(1)),
});

/** A scan taken by Berth's own adapter API (`/scanner/api/v1/scan`): pulls over HTTP. */
export const scanRequestJob = z.object({ ...base, kind: z.literal('scan-request'), requestId: z.string().check(z.minLength(1)) });

/** Request a scan of every artifact (scan all, now or on its schedule). */
export const scanAllJob = z.object({ ...base, kind: z.literal('scan-all') });

/** Re-match every stored inventory against the current vulnerability data (no layer is read). */
export const scanRematchJob = z.object({ ...base, kind: z.literal('scan-rematch') });

/** Rewrite every scanned artifact's pull-gate summary (the system CVE allowlist changed). */
export const scanGateRefreshJob = z.object({ ...base, kind: z.literal('scan-gate-refresh') });

/** Fetch the OSV archive from the configured URL and import it when it changed. */
export const vulnDbRefreshJob = z.object({ ...base, kind: z.literal('vulndb-refresh') });

export type ScanJob = z.infer<typeof scanJob>;
export type ScanRequestJob = z.infer<typeof scanRequestJob>;
export type ScanAllJob = z.infer<typeof scanAllJob>;
export type ScanRematchJob = z.infer<typeof scanRematchJob>;
export type VulnDbRefreshJob = z.infer<typeof vulnDbRefreshJob>;

/** Kinds that read whole images or archives: the long-job queue. */
export const longScanKinds = ['scan', 'scan-request', 'scan-rematch', 'scan-gate-refresh', 'vulndb-refresh'] as const;
