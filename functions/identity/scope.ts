/**
 * Docker token-auth scopes (`repository:samalba/my-app:pull,push`, `registry:catalog:*`) and the
 * `access` claim they become. Names may themselves hold colons (a host with a port), so the type
 * ends at the first colon and the actions start after the last.
 */
export interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

/** Parses one scope; null when malformed. A resource class (`repository(plugin)`) is dropped. */
export function parseScope(scope: string): ResourceAccess | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return null;
  const type = scope.slice(0, first).replace(/\(.*\)$/, '');
  const name = scope.slice(first + 1, last);
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  if (!/^[a-z0-9]+$/.test(type) || name.length === 0 || actions.length === 0) return null;
  return { type, name, actions: [...new Set(actions)] };
}

/** All scopes of a request: repeated `scope` parameters, each possibly space-separated (OAuth2). */
export function parseScopes(values: readonly string[]): ResourceAccess[] {
  const merged = new Map<string, ResourceAccess>();
  for (const value of values) {
    for (const part of value.split(' ')) {
      if (part === '') continue;
      const access = parseScope(part);
      if (!access) continue;
      const key = `${access.type}:${access.name}`;
      const seen = merged.get(key);
      merged.set(key, seen ? { ...seen, actions: [...new Set([...seen.actions, ...access.actions])] } : access);
    }
  }
  return [...merged.values()];
}

export function formatScope(access: ResourceAccess): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}
