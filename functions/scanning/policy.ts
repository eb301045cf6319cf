import type { Item } from '../ports/table.js';
import { type Severity, severityRank } from './severity.js';
import type { ScanStatus } from './scan-store.js';

/** Project metadata keys the vulnerability policy reads (identity/project-metadata.ts). */
export const policyKeys = {
  autoScan: 'auto_scan',
  preventVul: 'prevent_vul',
  severity: 'severity',
  reuseSystemAllowlist: 'reuse_sys_cve_allowlist',
  /** Berth's addition: with `prevent_vul` on, refuse artifacts that have no finished scan too. */
  preventUnscanned: 'prevent_unscanned',
  /** The project allowlist: comma-separated ids, and when it stops applying (epoch seconds). */
  allowlist: 'cve_allowlist',
  allowlistExpiresAt: 'cve_allowlist_expires_at',
} as const;

/** Findings kept in a gate summary: ~100 bytes each, well inside a table item's 400 KB. */
export const maxGateFindings = 2500;

/** One finding as the gate sees it: id, severity rank, 1 when the system allowlist names it, aliases. */
export type GateFinding = [string, number, number, ...string[]];

/**
 * What the pull gate reads of an artifact's scan (an ArtifactSummaries item): the scan's status,
 * every finding, and when the system allowlist the flags were computed from expires. Written
 * when a scan ends and rewritten when the system allowlist changes, so the gate never reads
 * anything else.
 */
export interface GateSummary {
  status: ScanStatus;
  /** Highest severity first, at most `maxGateFindings` of them (a table item stays small). */
  findings: GateFinding[];
  /** Findings left out past the cap, and the highest severity rank among them. */
  omitted?: { count: number; maxRank: number };
  /** Epoch seconds; null when the system allowlist never expires. */
  systemAllowlistExpiresAt: number | null;
}

export function gateSummaryOf(
  status: ScanStatus,
  items: { id: string; severity: Severity; vendor_attributes?: Record<string, unknown> }[],
  system: { ids: ReadonlySet<string>; expiresAt: number | null },
): GateSummary {
  const findings = items
    .map((item) => {
      const aliases = Array.isArray(item.vendor_attributes?.aliases) ? (item.vendor_attributes.aliases as string[]).slice(0, 4) : [];
      const allowed = system.ids.has(item.id) || aliases.some((a) => system.ids.has(a)) ? 1 : 0;
      return [item.id, severityRank(item.severity), allowed, ...aliases] as GateFinding;
    })
    .sort((a, b) => b[1] - a[1]);
  const kept = findings.slice(0, maxGateFindings);
  const rest = findings.slice(maxGateFindings);
  return {
    status,
    systemAllowlistExpiresAt: system.expiresAt,
    findings: kept,
    ...(rest.length > 0 ? { omitted: { count: rest.length, maxRank: rest[0]![1] } } : {}),
  };
}

const thresholds: Record<string, Severity> = { none: 'Unknown', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };

/** The severity a project refuses from (`severity`; Harbor's default is low, `none` refuses any finding). */
export function thresholdOf(metadata: Readonly<Record<string, string>>): Severity {
  return thresholds[(metadata[policyKeys.severity] ?? 'low').toLowerCase()] ?? 'Low';
}

function projectAllowlist(metadata: Readonly<Record<string, string>>, nowSeconds: number): Set<string> {
  const expires = Number(metadata[policyKeys.allowlistExpiresAt] ?? '');
  if (Number.isFinite(expires) && expires > 0 && expires <= nowSeconds) return new Set();
  return new Set((metadata[policyKeys.allowlist] ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''));
}

function asSummary(item: Item | undefined): GateSummary | null {
  if (!item || typeof item.status !== 'string' || !Array.isArray(item.findings)) return null;
  return {
    status: item.status as ScanStatus,
    findings: item.findings as unknown as GateFinding[],
    systemAllowlistExpiresAt: (item.systemAllowlistExpiresAt as number | null) ?? null,
    ...(item.omitted ? { omitted: item.omitted as unknown as { count: number; maxRank: number } } : {}),
  };
}

export interface Violation {
  message: string;
  detail?: Record<string, unknown>;
}

/**
 * The pull decision for `prevent_vul` (Harbor's "prevent vulnerable images from running"):
 * refused when a finding at or above the project's severity is not allowlisted. The allowlist is
 * the project's own, or the system's with `reuse_sys_cve_allowlist` (instead of, as in Harbor);
 * an expired one allows nothing. Without a finished scan the pull is allowed (Harbor's
 * behaviour) unless `prevent_unscanned` is on.
 */
export function vulnerabilityViolation(metadata: Readonly<Record<string, string>>, item: Item | undefined, nowSeconds: number): Violation | null {
  if (metadata[policyKeys.preventVul] !== 'true') return null;
  const summary = asSummary(item);
  const threshold = thresholdOf(metadata);
  if (!summary || summary.status !== 'Success') {
    if (metadata[policyKeys.preventUnscanned] !== 'true') return null;
    const state = summary ? `its scan is ${summary.status}` : 'it has not been scanned';
    return { message: `current image without a finished vulnerability scan cannot be pulled: ${state}, and the project refuses unscanned images (prevent_unscanned)`, detail: { scan_status: summary?.status ?? 'Not Scanned' } };
  }
  const floor = severityRank(threshold);
  const useSystem = metadata[policyKeys.reuseSystemAllowlist] === 'true';
  const systemValid = summary.systemAllowlistExpiresAt === null || summary.systemAllowlistExpiresAt > nowSeconds;
  const project = useSystem ? new Set<string>() : projectAllowlist(metadata, nowSeconds);
  const blocking = summary.findings.filter(([id, rank, systemAllowed, ...aliases]) => {
    if (rank < floor) return false;
    if (useSystem) return !(systemAllowed === 1 && systemValid);
    return !project.has(id) && !aliases.some((a) => project.has(a));
  });
  // Findings past the cap were not kept, so no allowlist can be checked for them: they count.
  const omitted = summary.omitted && summary.omitted.maxRank >= floor ? summary.omitted.count : 0;
  if (blocking.length === 0 && omitted === 0) return null;
  const names = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const;
  const counts: Record<string, number> = {};
  for (const [, rank] of blocking) counts[names[rank] ?? 'Unknown'] = (counts[names[rank] ?? 'Unknown'] ?? 0) + 1;
  if (omitted > 0) counts['not itemized'] = omitted;
  const named = Object.entries(counts)
    .sort((a, b) => severityRank(b[0] as Severity) - severityRank(a[0] as Severity))
    .map(([name, n]) => `${n} ${name}`)
    .join(', ');
  return {
    message: `current image with ${blocking.length + omitted} vulnerabilities (${named}) cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "${threshold}" or higher from running.' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.`,
    detail: { severity: threshold, counts },
  };
}
