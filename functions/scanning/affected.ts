// One function of semver, not its index: the whole package is 125 modules to load.
import compareVersions from 'semver/functions/compare.js';
import { compareApkVersions } from './apk-version.js';
import { compareDebianVersions } from './debian-version.js';
import type { Advisory, RangeEvent } from './osv.js';

export type Comparator = (a: string, b: string) => number;

/**
 * The version ordering of an OSV ecosystem, or null when Berth does not know it (then nothing of
 * that ecosystem is matched: a guessed order would report wrong findings). `Debian:12` and
 * `Debian:11` share the ordering; they stay apart because advisories are stored per ecosystem.
 */
export function comparatorFor(ecosystem: string): Comparator | null {
  const family = ecosystem.split(':')[0];
  switch (family) {
    case 'Debian':
    case 'Ubuntu':
      return compareDebianVersions;
    case 'Alpine':
      return compareApkVersions;
    case 'npm':
      return (a, b) => compareVersions(a, b, { loose: true });
    default:
      return null;
  }
}

/** `introduced: "0"` is OSV's "since the first version", below every real version. */
function compareEvent(compare: Comparator, version: string, eventVersion: string): number {
  if (eventVersion === '0') return 1;
  return compare(version, eventVersion);
}

/**
 * Whether `version` falls in one OSV range (osv-schema "Evaluation"): affected from an
 * `introduced` on, until a `fixed` (exclusive), past a `last_affected`, or at a `limit`.
 * Events are sorted by version first, as the schema asks of evaluators.
 */
function inRange(compare: Comparator, version: string, events: RangeEvent[]): boolean {
  const valueOf = (e: RangeEvent) => Object.values(e)[0] as string;
  const sorted = [...events].sort((x, y) => {
    const a = valueOf(x);
    const b = valueOf(y);
    if (a === b) return 0;
    if (a === '0') return -1;
    if (b === '0') return 1;
    return compare(a, b);
  });
  for (const e of sorted) if ('limit' in e && compareEvent(compare, version, e.limit) >= 0) return false;
  let affected = false;
  for (const e of sorted) {
    if ('introduced' in e && compareEvent(compare, version, e.introduced) >= 0) affected = true;
    else if ('fixed' in e && compareEvent(compare, version, e.fixed) >= 0) affected = false;
    else if ('last_affected' in e && compareEvent(compare, version, e.last_affected) > 0) affected = false;
  }
  return affected;
}

/**
 * Whether an installed `version` is affected by an advisory, and the fixed version to report
 * (the lowest `fixed` above the installed one). A version that cannot be compared (malformed for
 * its ecosystem) is reported as not affected: a scanner guessing there would cry wolf.
 */
export function affects(advisory: Advisory, version: string, compare: Comparator): { affected: boolean; fixedIn?: string } {
  try {
    let affected = advisory.versions.includes(version);
    for (const range of advisory.ranges) if (!affected && inRange(compare, version, range)) affected = true;
    if (!affected) return { affected: false };
    const fixes = advisory.ranges
      .flatMap((range) => range.flatMap((e) => ('fixed' in e ? [e.fixed] : [])))
      .filter((fixed) => compare(fixed, version) > 0)
      .sort(compare);
    return fixes[0] !== undefined ? { affected: true, fixedIn: fixes[0] } : { affected: true };
  } catch {
    return { affected: false };
  }
}
