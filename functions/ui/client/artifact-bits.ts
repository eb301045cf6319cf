import { h } from './dom.js';
import type { Artifact, NativeReportSummary } from './types.js';
import { severityOrder } from './format.js';

/** The first vulnerability report summary of an artifact, whatever its MIME type key. */
export function scanOf(artifact: Artifact): NativeReportSummary | null {
  const reports = Object.values(artifact.scan_overview ?? {});
  return reports[0] ?? null;
}

/** Scan status and severity counts, as a compact row of badges. */
export function scanBadges(artifact: Artifact): HTMLElement {
  const scan = scanOf(artifact);
  if (!scan) return h('span', { class: 'muted' }, 'Not scanned');
  if (scan.scan_status && scan.scan_status !== 'Success') return h('span', { class: 'badge muted' }, scan.scan_status);
  const counts = scan.summary?.summary ?? {};
  const total = scan.summary?.total ?? 0;
  if (total === 0) return h('span', { class: 'badge ok' }, 'No vulnerabilities');
  return h(
    'span',
    { class: 'severities', 'aria-label': `${total} vulnerabilities` },
    severityOrder.filter((s) => (counts[s] ?? 0) > 0).map((s) => h('span', { class: `badge sev-${s.toLowerCase()}`, title: s }, `${counts[s]} ${s}`)),
  );
}

/** Signed when a tag says so or a signature accessory (cosign, notation) hangs off the artifact. */
export function isSigned(artifact: Artifact): boolean {
  return (artifact.tags ?? []).some((t) => t.signed) || (artifact.accessories ?? []).some((a) => a.type.startsWith('signature.'));
}

/** `linux/amd64`, or the platforms of an index. */
export function platforms(artifact: Artifact): string {
  const children = (artifact.references ?? []).map((r) => r.platform).filter((p) => p !== undefined);
  if (children.length > 0) return children.map((p) => [p.os, p.architecture, p.variant].filter(Boolean).join('/')).join(', ');
  const attrs = artifact.extra_attrs;
  return attrs?.os ? [attrs.os, attrs.architecture, attrs.variant].filter(Boolean).join('/') : '—';
}
