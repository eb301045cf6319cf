/**
 * Harbor's severity scale and how scores and free-text labels map onto it. Kept apart from the
 * CVSS calculators (cvss.ts), which only the vulnerability data import needs.
 */

/** Harbor's severity scale, lowest first. */
export const severities = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const;
export type Severity = (typeof severities)[number];

export function severityRank(severity: Severity): number {
  return severities.indexOf(severity);
}

/** CVSS v3 qualitative rating of a base score. A score of 0 ("None") is Negligible on Harbor's scale. */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'Critical';
  if (score >= 7) return 'High';
  if (score >= 4) return 'Medium';
  if (score >= 0.1) return 'Low';
  return 'Negligible';
}

/** A free-text severity (an advisory's `database_specific.severity`, Debian's urgency...) on Harbor's scale. */
export function severityOfLabel(label: string): Severity {
  switch (label.trim().toLowerCase()) {
    case 'critical':
      return 'Critical';
    case 'high':
    case 'important':
      return 'High';
    case 'medium':
    case 'moderate':
      return 'Medium';
    case 'low':
      return 'Low';
    case 'negligible':
    case 'unimportant':
    case 'none':
      return 'Negligible';
    default:
      return 'Unknown';
  }
}
