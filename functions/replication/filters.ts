import picomatch from 'picomatch';

/**
 * A policy filter in Harbor's shape. `name` matches repository names and `tag` matches tags, both
 * with doublestar globs (`library/**`, `v{1,2}.*`, `**`); a tag filter either keeps what matches
 * (`matches`, the default) or drops it (`excludes`). `resource` names what is copied: `image` or
 * `artifact` (every OCI artifact), which Berth treats alike.
 */
export interface PolicyFilter {
  type: 'name' | 'tag' | 'resource';
  value: string;
  decoration?: 'matches' | 'excludes';
}

export interface CompiledFilters {
  repository(name: string): boolean;
  tag(tag: string): boolean;
}

export function compileFilters(filters: readonly PolicyFilter[]): CompiledFilters {
  const names = filters.filter((f) => f.type === 'name').map((f) => picomatch(f.value, { dot: true }));
  const tags = filters
    .filter((f) => f.type === 'tag')
    .map((f) => ({ match: picomatch(f.value, { dot: true }), keep: (f.decoration ?? 'matches') === 'matches' }));
  return {
    repository: (name) => names.every((match) => match(name)),
    tag: (tag) => tags.every(({ match, keep }) => match(tag) === keep),
  };
}

/** Why a glob is unusable, or null when picomatch can compile it. */
export function globProblem(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > 256) return 'a pattern has 1 to 256 characters';
  try {
    picomatch.makeRe(pattern);
    return null;
  } catch (error) {
    return `invalid pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`;
  }
}

/**
 * The destination repository for `repository` (Harbor's `dest_namespace` and
 * `dest_namespace_replace_count`): with no namespace the name is kept; count -1 replaces the
 * first path component (the project); 0 prefixes the namespace; n replaces the first n
 * components, always keeping the last one (`a/b/c`, namespace `x`: 0 → `x/a/b/c`, 1 → `x/b/c`,
 * 2 and more → `x/c`).
 */
export function destinationRepository(repository: string, namespace: string | undefined, replaceCount: number): string {
  if (!namespace) return repository;
  const parts = repository.split('/');
  const count = replaceCount === -1 ? 1 : replaceCount;
  const kept = parts.slice(Math.min(count, parts.length - 1));
  return [namespace, ...kept].join('/');
}
