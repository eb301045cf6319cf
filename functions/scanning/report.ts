import { comparatorFor, affects } from './affected.js';
import { type Severity, severities, severityRank } from './severity.js';
import type { Inventory } from './inventory.js';
import type { Advisory } from './osv.js';

/** The media type of Harbor's vulnerability report (scanner adapter spec v1.2). */
export const vulnerabilityReportType = 'application/vnd.security.vulnerability.report; version=1.1';

export interface ScannerInfo {
  name: string;
  vendor: string;
  version: string;
}

export const builtinScanner: ScannerInfo = { name: 'Berth', vendor: 'Berth', version: '1.0' };

/** One finding, in the report's `VulnerabilityItem` shape. */
export interface VulnerabilityItem {
  id: string;
  package: string;
  version: string;
  fix_version: string;
  severity: Severity;
  description: string;
  links: string[];
  preferred_cvss?: { score_v3?: number; vector_v3?: string };
  vendor_attributes?: Record<string, unknown>;
}

export interface VulnerabilityReport {
  generated_at: string;
  artifact: { repository: string; digest: string; mime_type?: string; tag?: string };
  scanner: ScannerInfo;
  severity: Severity | 'None';
  vulnerabilities: VulnerabilityItem[];
}

export type SeverityCounts = Partial<Record<Severity, number>>;

export interface ReportSummary {
  total: number;
  fixable: number;
  summary: SeverityCounts;
}

/**
 * Which advisories affect a (ecosystem, source package, version), remembered across the
 * inventories of one rescan: images built on the same base share most of their packages.
 */
export type VerdictCache = Map<string, { advisory: Advisory; fixedIn?: string }[]>;

/**
 * Matches an inventory against the advisories `lookup` returns for each (ecosystem, package).
 * OS packages are looked up by their source package (what Debian and Alpine advisories name)
 * and the installed version of it; each finding names the binary package, as scanners report.
 */
export async function matchInventory(
  inventory: Inventory,
  lookup: (ecosystem: string, pkg: string) => Promise<Advisory[]>,
  verdicts: VerdictCache = new Map(),
): Promise<VulnerabilityItem[]> {
  const found = new Map<string, VulnerabilityItem>();
  await Promise.all(
    inventory.packages.map(async (pkg) => {
      if (!pkg.ecosystem) return;
      const compare = comparatorFor(pkg.ecosystem);
      if (!compare) return;
      const name = pkg.source ?? pkg.name;
      const version = pkg.sourceVersion ?? pkg.version;
      const key = `${pkg.ecosystem}\u0000${name}\u0000${version}`;
      let matched = verdicts.get(key);
      if (!matched) {
        matched = (await lookup(pkg.ecosystem, name)).flatMap((advisory) => {
          const verdict = affects(advisory, version, compare);
          return verdict.affected ? [{ advisory, fixedIn: verdict.fixedIn }] : [];
        });
        verdicts.set(key, matched);
      }
      for (const { advisory, fixedIn } of matched) {
        const findingKey = `${advisory.id}\u0000${pkg.name}\u0000${pkg.version}`;
        if (found.has(findingKey)) continue;
        found.set(findingKey, {
          id: advisory.id,
          package: pkg.name,
          version: pkg.version,
          fix_version: fixedIn ?? '',
          severity: advisory.severity,
          description: advisory.description || advisory.summary,
          links: advisory.links,
          ...(advisory.score !== undefined ? { preferred_cvss: { score_v3: advisory.score, vector_v3: advisory.vector } } : {}),
          vendor_attributes: { ecosystem: pkg.ecosystem, source: name, aliases: advisory.aliases, path: pkg.path },
        });
      }
    }),
  );
  return [...found.values()].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id) || a.package.localeCompare(b.package));
}

/** The highest severity among findings; Harbor says `None` for a report without any. */
export function topSeverity(items: VulnerabilityItem[]): Severity | 'None' {
  if (items.length === 0) return 'None';
  let top: Severity = 'Unknown';
  for (const item of items) if (severityRank(item.severity) > severityRank(top)) top = item.severity;
  return top;
}

export function summarize(items: VulnerabilityItem[]): ReportSummary {
  const summary: SeverityCounts = {};
  for (const item of items) summary[item.severity] = (summary[item.severity] ?? 0) + 1;
  return { total: items.length, fixable: items.filter((i) => i.fix_version !== '').length, summary };
}

/** Counts of findings at or above `threshold` whose ids (or aliases) are not allowlisted. */
export function countAtOrAbove(findings: { id: string; severity: Severity; aliases?: string[] }[], threshold: Severity, allowed: ReadonlySet<string>): number {
  const floor = severityRank(threshold);
  return findings.filter((f) => severityRank(f.severity) >= floor && !allowed.has(f.id) && !(f.aliases ?? []).some((a) => allowed.has(a))).length;
}

export { severities };
