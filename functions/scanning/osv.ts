// zod/mini: the worker Lambda loads this module.
import * as z from 'zod/mini';
import { cvss3BaseScore, cvss4BaseScore } from './cvss.js';
import { type Severity, severityOfLabel, severityOfScore } from './severity.js';

/**
 * The part of the OSV schema (ossf/osv-schema, osv.dev) that matching needs. Unknown fields are
 * allowed: the schema grows, and a record from a newer export must still load.
 */
const event = z.looseObject({
  introduced: z.optional(z.string()),
  fixed: z.optional(z.string()),
  last_affected: z.optional(z.string()),
  limit: z.optional(z.string()),
});

const severityEntry = z.looseObject({ type: z.string(), score: z.string() });

const osvRecord = z.looseObject({
  id: z.string().check(z.minLength(1), z.maxLength(256)),
  modified: z.string(),
  withdrawn: z.optional(z.string()),
  aliases: z.optional(z.array(z.string())),
  summary: z.optional(z.string()),
  details: z.optional(z.string()),
  severity: z.optional(z.array(severityEntry)),
  affected: z.optional(
    z.array(
      z.looseObject({
        package: z.optional(z.looseObject({ ecosystem: z.string(), name: z.string() })),
        severity: z.optional(z.array(severityEntry)),
        ranges: z.optional(z.array(z.looseObject({ type: z.string(), events: z.array(event) }))),
        versions: z.optional(z.array(z.string())),
        database_specific: z.optional(z.unknown()),
        ecosystem_specific: z.optional(z.unknown()),
      }),
    ),
  ),
  references: z.optional(z.array(z.looseObject({ type: z.optional(z.string()), url: z.string() }))),
  database_specific: z.optional(z.unknown()),
});

export type OsvRecord = z.infer<typeof osvRecord>;

/** Range events in the order OSV lists them: at most one key each. */
export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

/** What is kept of one advisory for one package of one ecosystem: enough to match and to report. */
export interface Advisory {
  id: string;
  ecosystem: string;
  package: string;
  aliases: string[];
  summary: string;
  description: string;
  severity: Severity;
  score?: number;
  vector?: string;
  links: string[];
  /** ECOSYSTEM and SEMVER ranges (GIT ranges name commits, which an image does not carry). */
  ranges: RangeEvent[][];
  /** Versions listed as affected one by one. */
  versions: string[];
  modified: string;
}

const maxDescription = 4000;
const maxLinks = 10;
const maxVersions = 2000;

/** Parses one OSV document; throws with a message naming what is wrong when it is not one. */
export function parseOsv(json: unknown): OsvRecord {
  const result = osvRecord.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`not an OSV record: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  return result.data;
}

function severityOf(entries: { type: string; score: string }[] | undefined, databaseSpecific: unknown): Pick<Advisory, 'severity' | 'score' | 'vector'> | null {
  // v3 first, the vector most advisories carry and scanners report; v4 where there is no v3.
  for (const [type, scoreOf] of [['CVSS_V3', cvss3BaseScore], ['CVSS_V4', cvss4BaseScore]] as const) {
    for (const entry of entries ?? []) {
      if (entry.type !== type) continue;
      const score = scoreOf(entry.score);
      if (score !== null) return { severity: severityOfScore(score), score, vector: entry.score };
    }
  }
  for (const entry of entries ?? []) {
    // Ubuntu's own priority (`{type: 'Ubuntu', score: 'medium'}`) is a label, not a vector.
    if (entry.type === 'Ubuntu') {
      const severity = severityOfLabel(entry.score);
      if (severity !== 'Unknown') return { severity };
    }
  }
  if (databaseSpecific && typeof databaseSpecific === 'object' && 'severity' in databaseSpecific) {
    const label = (databaseSpecific as { severity: unknown }).severity;
    if (typeof label === 'string') {
      const severity = severityOfLabel(label);
      if (severity !== 'Unknown') return { severity };
    }
  }
  return null;
}

/**
 * One advisory per (ecosystem, package) the record affects. Severity: a CVSS v3 vector, else a
 * CVSS v4 vector (base score computed) of the affected entry, else of the record, else a `database_specific.severity` label,
 * else Unknown. A withdrawn record yields nothing.
 */
export function advisoriesOf(record: OsvRecord): Advisory[] {
  if (record.withdrawn) return [];
  const links = [...new Set((record.references ?? []).map((r) => r.url))].slice(0, maxLinks);
  const byPackage = new Map<string, Advisory>();
  for (const affected of record.affected ?? []) {
    if (!affected.package) continue;
    const key = `${affected.package.ecosystem}\u0000${affected.package.name}`;
    const severity =
      severityOf(affected.severity, affected.database_specific) ??
      severityOf(record.severity, record.database_specific) ?? { severity: 'Unknown' as const };
    const ranges = (affected.ranges ?? [])
      .filter((range) => range.type === 'ECOSYSTEM' || range.type === 'SEMVER')
      .map((range) => range.events.flatMap((e): RangeEvent[] => {
        if (e.introduced !== undefined) return [{ introduced: e.introduced }];
        if (e.fixed !== undefined) return [{ fixed: e.fixed }];
        if (e.last_affected !== undefined) return [{ last_affected: e.last_affected }];
        if (e.limit !== undefined) return [{ limit: e.limit }];
        return [];
      }));
    const existing = byPackage.get(key);
    if (existing) {
      existing.ranges.push(...ranges);
      existing.versions.push(...(affected.versions ?? []).slice(0, maxVersions - existing.versions.length));
      continue;
    }
    byPackage.set(key, {
      id: record.id,
      ecosystem: affected.package.ecosystem,
      package: affected.package.name,
      aliases: record.aliases ?? [],
      summary: (record.summary ?? '').slice(0, 500),
      description: (record.details ?? record.summary ?? '').slice(0, maxDescription),
      ...severity,
      links,
      ranges,
      versions: (affected.versions ?? []).slice(0, maxVersions),
      modified: record.modified,
    });
  }
  return [...byPackage.values()];
}
