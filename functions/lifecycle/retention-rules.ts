import picomatch from 'picomatch';
import * as z from 'zod/mini';

/**
 * Harbor's tag retention rules, and the pure decision of what a rule set keeps. A rule applies to
 * the repositories its scope selectors match (names inside the project, doublestar patterns,
 * `repoMatches` / `repoExcludes`), picks from their artifacts by tag (`matches` / `excludes`,
 * untagged artifacts only when the selector's extras say `{"untagged":true}`), and retains some of
 * those by its template. An artifact is kept when any rule retains it; in a repository at least
 * one rule applies to, every other artifact is deleted. Repositories no rule applies to are left
 * alone.
 */
export const retentionTemplates = ['latestPushedK', 'latestPulledN', 'nDaysSinceLastPush', 'nDaysSinceLastPull', 'always'] as const;

export type RetentionTemplate = (typeof retentionTemplates)[number];

const count = z.int().check(z.minimum(0), z.maximum(1_000_000));

const tagSelector = z.object({
  kind: z._default(z.literal('doublestar'), 'doublestar'),
  decoration: z.enum(['matches', 'excludes']),
  pattern: z.string().check(z.minLength(1), z.maxLength(512)),
  extras: z.optional(z.string()),
});

const repositorySelector = z.object({
  kind: z._default(z.literal('doublestar'), 'doublestar'),
  decoration: z.enum(['repoMatches', 'repoExcludes']),
  pattern: z.string().check(z.minLength(1), z.maxLength(512)),
});

export const retentionRuleSchema = z
  .object({
    id: z.optional(z.int()),
    priority: z.optional(z.int()),
    disabled: z._default(z.boolean(), false),
    action: z._default(z.literal('retain'), 'retain'),
    template: z.enum(retentionTemplates),
    params: z._default(z.record(z.string(), z.unknown()), {}),
    tag_selectors: z.array(tagSelector).check(z.length(1)),
    scope_selectors: z.object({ repository: z.array(repositorySelector).check(z.length(1)) }),
  })
  .check(
    z.refine((rule) => rule.template === 'always' || count.safeParse(rule.params[rule.template]).success, {
      message: 'params must give the template a whole number (e.g. {"latestPushedK": 10})',
    }),
    z.refine((rule) => rule.tag_selectors.every((s) => s.extras === undefined || s.extras === '' || untaggedOf(s.extras) !== null), {
      message: 'tag selector extras must be JSON like {"untagged":true}',
    }),
  );

export type RetentionRule = z.infer<typeof retentionRuleSchema>;

function untaggedOf(extras: string): boolean | null {
  try {
    const value = JSON.parse(extras) as { untagged?: unknown };
    if (value === null || typeof value !== 'object') return null;
    return value.untagged === true;
  } catch {
    return null;
  }
}

/** What retention knows of one artifact (a manifest that is not part of an index, nor a referrer). */
export interface Candidate {
  digest: string;
  tags: string[];
  /** Latest of the manifest's push and its tags' pushes (ISO). */
  pushedAt: string;
  /** Last pull (ISO), or null when never pulled. */
  pulledAt: string | null;
}

function matcher(pattern: string): (name: string) => boolean {
  return picomatch(pattern, { dot: true });
}

/** Does rule's scope take `name` (the repository's name inside its project)? */
export function ruleAppliesTo(rule: RetentionRule, name: string): boolean {
  const selector = rule.scope_selectors.repository[0]!;
  const hit = matcher(selector.pattern)(name);
  return selector.decoration === 'repoMatches' ? hit : !hit;
}

function selected(rule: RetentionRule, candidate: Candidate): boolean {
  const selector = rule.tag_selectors[0]!;
  if (candidate.tags.length === 0) return selector.extras ? untaggedOf(selector.extras) === true : false;
  const match = matcher(selector.pattern);
  return selector.decoration === 'matches' ? candidate.tags.some(match) : candidate.tags.some((tag) => !match(tag));
}

const dayMs = 24 * 60 * 60 * 1000;

/** The digests one rule retains among `candidates`. */
export function retainedBy(rule: RetentionRule, candidates: Candidate[], now: Date): Set<string> {
  const picked = candidates.filter((candidate) => selected(rule, candidate));
  const n = Number(rule.params[rule.template] ?? 0);
  const newest = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? 1 : -1);
  let kept: Candidate[];
  switch (rule.template) {
    case 'always':
      kept = picked;
      break;
    case 'latestPushedK':
      kept = [...picked].sort((a, b) => newest(a.pushedAt, b.pushedAt)).slice(0, n);
      break;
    case 'latestPulledN':
      kept = [...picked].filter((c) => c.pulledAt !== null).sort((a, b) => newest(a.pulledAt, b.pulledAt)).slice(0, n);
      break;
    case 'nDaysSinceLastPush':
      kept = picked.filter((c) => Date.parse(c.pushedAt) >= now.getTime() - n * dayMs);
      break;
    case 'nDaysSinceLastPull':
      kept = picked.filter((c) => c.pulledAt !== null && Date.parse(c.pulledAt) >= now.getTime() - n * dayMs);
      break;
  }
  return new Set(kept.map((c) => c.digest));
}

/**
 * The plan for one repository: which candidates are kept and which deleted, or null when no
 * enabled rule applies to it (then nothing in it is touched).
 */
export function planRepository(
  rules: RetentionRule[],
  name: string,
  candidates: Candidate[],
  now: Date,
): { retained: Candidate[]; deleted: Candidate[] } | null {
  const applicable = rules.filter((rule) => !rule.disabled && ruleAppliesTo(rule, name));
  if (applicable.length === 0) return null;
  const kept = new Set<string>();
  for (const rule of applicable) for (const digest of retainedBy(rule, candidates, now)) kept.add(digest);
  return {
    retained: candidates.filter((c) => kept.has(c.digest)),
    deleted: candidates.filter((c) => !kept.has(c.digest)),
  };
}
