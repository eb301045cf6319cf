import picomatch from 'picomatch';
import * as z from 'zod/mini';
import { nextId } from '../identity/stores/counter.js';
import { projectOf } from '../identity/stores/project-store.js';
import type { Item, Key, Table } from '../ports/table.js';
import { partitions } from '../table-layout.js';

/**
 * Harbor's immutable tag rules: in the repositories a rule's scope selects, a tag its tag
 * selector selects can be pushed once and then never moved nor deleted, by anyone. Patterns are
 * doublestar globs (picomatch); the repository pattern is matched against the repository's name
 * inside its project (`app` for `library/app`), as Harbor does.
 *
 *   pk immutable#<project>   sk rule#<id, 12 digits>   the rule in Harbor's shape
 */
const selector = z.object({
  kind: z.optional(z.literal('doublestar')),
  decoration: z.string(),
  pattern: z.string().check(z.minLength(1), z.maxLength(1024)),
  extras: z.optional(z.string()),
});

export const immutableRuleSchema = z.object({
  id: z.optional(z.number()),
  project_id: z.optional(z.number()),
  disabled: z.optional(z.boolean()),
  priority: z.optional(z.number()),
  action: z.optional(z.string()),
  template: z.optional(z.string()),
  params: z.optional(z.record(z.string(), z.unknown())),
  tag_selectors: z.array(selector).check(z.minLength(1)),
  scope_selectors: z.object({ repository: z.array(selector).check(z.minLength(1)) }),
});

export type ImmutableRuleInput = z.infer<typeof immutableRuleSchema>;

export interface ImmutableRule {
  id: number;
  project: string;
  disabled: boolean;
  priority: number;
  tagSelectors: { decoration: 'matches' | 'excludes'; pattern: string }[];
  repositorySelectors: { decoration: 'repoMatches' | 'repoExcludes'; pattern: string }[];
}

/** A rule input whose decorations Harbor would not accept: the reason, else null. */
export function invalidRule(input: ImmutableRuleInput): string | null {
  for (const s of input.tag_selectors) if (s.decoration !== 'matches' && s.decoration !== 'excludes') return `tag selector decoration must be matches or excludes, not ${s.decoration}`;
  for (const s of input.scope_selectors.repository) {
    if (s.decoration !== 'repoMatches' && s.decoration !== 'repoExcludes') return `repository selector decoration must be repoMatches or repoExcludes, not ${s.decoration}`;
  }
  return null;
}

const partition = (project: string) => `${partitions.immutable}${project}`;
const ruleKey = (project: string, id: number): Key => ({ pk: partition(project), sk: `rule#${String(id).padStart(12, '0')}` });

function toRule(item: Item): ImmutableRule {
  return {
    id: item.id as number,
    project: item.project as string,
    disabled: item.disabled === true,
    priority: (item.priority as number | undefined) ?? 0,
    tagSelectors: item.tagSelectors as unknown as ImmutableRule['tagSelectors'],
    repositorySelectors: item.repositorySelectors as unknown as ImmutableRule['repositorySelectors'],
  };
}

function matches(pattern: string, value: string): boolean {
  return picomatch.isMatch(value, pattern, { dot: true });
}

/** Whether `rule` makes `tag` of `repository` (the full name, project first) immutable. */
export function ruleApplies(rule: ImmutableRule, repository: string, tag: string): boolean {
  if (rule.disabled) return false;
  const name = repository.slice(projectOf(repository).length + 1);
  const inScope = rule.repositorySelectors.every((s) => (s.decoration === 'repoMatches') === matches(s.pattern, name));
  return inScope && rule.tagSelectors.every((s) => (s.decoration === 'matches') === matches(s.pattern, tag));
}

export class ImmutableRules {
  constructor(private readonly table: Table) {}

  async list(project: string): Promise<ImmutableRule[]> {
    return (await this.table.query(partition(project), { prefix: 'rule#' })).map(toRule);
  }

  async get(project: string, id: number): Promise<ImmutableRule | null> {
    const item = await this.table.get(ruleKey(project, id));
    return item ? toRule(item) : null;
  }

  /** Creates a rule (`id` absent) or replaces rule `id`. */
  async save(project: string, input: ImmutableRuleInput, id?: number): Promise<ImmutableRule> {
    const rule: ImmutableRule = {
      id: id ?? (await nextId(this.table, 'immutable-rule')),
      project,
      disabled: input.disabled ?? false,
      priority: input.priority ?? 0,
      tagSelectors: input.tag_selectors.map((s) => ({ decoration: s.decoration as 'matches' | 'excludes', pattern: s.pattern })),
      repositorySelectors: input.scope_selectors.repository.map((s) => ({ decoration: s.decoration as 'repoMatches' | 'repoExcludes', pattern: s.pattern })),
    };
    await this.table.put({
      ...ruleKey(project, rule.id),
      ...rule,
      tagSelectors: rule.tagSelectors as unknown as Item[string],
      repositorySelectors: rule.repositorySelectors as unknown as Item[string],
    });
    return rule;
  }

  async remove(project: string, id: number): Promise<void> {
    await this.table.delete(ruleKey(project, id));
  }

  /** Removes every rule of a project that is being deleted. */
  async removeAll(project: string): Promise<void> {
    for (const rule of await this.list(project)) await this.remove(project, rule.id);
  }

  /** Why moving or deleting the tag is refused, naming the rule; null when no rule applies. */
  async refusal(repository: string, tag: string): Promise<string | null> {
    const rule = (await this.list(projectOf(repository))).find((r) => ruleApplies(r, repository, tag));
    if (!rule) return null;
    const describe = (selectors: { decoration: string; pattern: string }[]) => selectors.map((s) => `${s.decoration} "${s.pattern}"`).join(', ');
    return (
      `The tag ${tag} of ${repository} is immutable: immutable tag rule ${rule.id} (repositories ${describe(rule.repositorySelectors)}, ` +
      `tags ${describe(rule.tagSelectors)}) forbids moving or deleting it`
    );
  }
}

/** The rule in Harbor's `ImmutableRule` shape. */
export function presentRule(rule: ImmutableRule, projectId: number) {
  return {
    id: rule.id,
    project_id: projectId,
    disabled: rule.disabled,
    priority: rule.priority,
    action: 'immutable',
    template: 'immutable_template',
    params: {},
    tag_selectors: rule.tagSelectors.map((s) => ({ kind: 'doublestar', decoration: s.decoration, pattern: s.pattern })),
    scope_selectors: { repository: rule.repositorySelectors.map((s) => ({ kind: 'doublestar', decoration: s.decoration, pattern: s.pattern })) },
  };
}
