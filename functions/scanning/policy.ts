import { type Severity, severityRank } from './cvss.js';
import type { ScanStatus } from './scan-store.js';

/** Project metadata keys the vulnerability policy reads (Harbor's names, plus Berth's `prevent_unscanned`). */
export const policyKeys = {
  autoScan: 'auto_scan',
  preventVul: 'prevent_vul',
  severity: 'severity',
  reuseSystemAllowlist: 'reuse_sys_cve_allowlist',
  /** Berth's addition: with `prevent_vul` on, refuse artifacts that have no finished scan too. */
  preventUnscanned: 'prevent_unscanned',
  /** Project allowlist: comma-separated CVE ids, and when it stops applying (epoch seconds). */
  allowlist: 'cve_allowlist',
  allowlistExpiresAt: 'cve_allowlist_expires_at',
} as const;

/**
 * What the pull gate reads of an artifact's scan, stored beside it when a scan ends: findings at
 * Low or above as `[id, severity rank, ...aliases]` (the allowlist may name either the advisory
 * or a CVE alias), and the scan's status.
 */
export interface GateSummary {
  status: ScanStatus;
  findings: [string, number, ...string[]][];
}

export function gateSummaryOf(status: ScanStatus, items: { id: string; severity: Severity; vendor_attributes?: Record<string, unknown> }[]): GateSummary {
  const floor = severityRank('Low');
  return {
    status,
    findings: items
      .filter((item) => severityRank(item.severity) >= floor)
      .map((item) => {
        const aliases = Array.isArray(item.vendor_attributes?.aliases) ? (item.vendor_attributes.aliases as string[]) : [];
        return [item.id, severityRank(item.severity), ...aliases] as [string, number, ...string[]];
      }),
  };
}

const thresholds: Record<string, Severity> = { negligible: 'Negligible', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };

/** The severity a project refuses from (`severity` metadata); Harbor's default is `low`. */
export function thresholdOf(metadata: Record<string, string>): Severity {
  return thresholds[(metadata[policyKeys.severity] ?? 'low').toLowerCase()] ?? 'Low';
}

export function projectAllowlist(metadata: Record<string, string>, nowSeconds: number): Set<string> {
  const expires = Number(metadata[policyKeys.allowlistExpiresAt] ?? '');
  if (Number.isFinite(expires) && expires > 0 && expires <= nowSeconds) return new Set();
  return new Set((metadata[policyKeys.allowlist] ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''));
}

export interface Violation {
  message: string;
}

/**
 * The pull decision for `prevent_vul`: refused when a finding at or above the project's severity
 * is allowlisted neither by the project nor (with `reuse_sys_cve_allowlist`) by the system.
 * Without a finished scan: refused only with `prevent_unscanned`. `systemAllowlist` is asked for
 * only when the answer depends on it.
 */
export async function vulnerabilityViolation(
  metadata: Record<string, string>,
  summary: GateSummary | null,
  nowSeconds: number,
  systemAllowlist: () => Promise<Set<string>>,
): Promise<Violation | null> {
  if (metadata[policyKeys.preventVul] !== 'true') return null;
  const threshold = thresholdOf(metadata);
  if (!summary || summary.status !== 'Success') {
    if (metadata[policyKeys.preventUnscanned] !== 'true') return null;
    const state = summary ? `its scan is ${summary.status}` : 'it has not been scanned';
    return { message: `current image without a finished vulnerability scan cannot be pulled: ${state} and the project refuses unscanned images (prevent_unscanned)` };
  }
  const floor = severityRank(threshold);
  const over = summary.findings.filter(([, rank]) => rank >= floor);
  if (over.length === 0) return null;
  const allowed = projectAllowlist(metadata, nowSeconds);
  if (metadata[policyKeys.reuseSystemAllowlist] === 'true') for (const id of await systemAllowlist()) allowed.add(id);
  const blocking = over.filter(([id, , ...aliases]) => !allowed.has(id) && !aliases.some((a) => allowed.has(a)));
  if (blocking.length === 0) return null;
  const counts = new Map<number, number>();
  for (const [, rank] of blocking) counts.set(rank, (counts.get(rank) ?? 0) + 1);
  const named = [...counts.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([rank, n]) => `${n} ${(['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const)[rank]}`)
    .join(', ');
  return {
    message: `current image with ${blocking.length} vulnerabilities cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "${threshold}" or higher from running.' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist. (${named})`,
  };
}
