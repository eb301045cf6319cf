/** A `WWW-Authenticate` challenge a registry answers 401 with (RFC 9110 11.6.1). */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  /** Auth parameters by lower-case name: `realm`, `service`, `scope`, `error`... */
  params: Record<string, string>;
}

/**
 * The first Basic or Bearer challenge in a header, or null when it offers neither. Registries send
 * one challenge (`Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"`);
 * values are quoted strings or tokens, separated by commas.
 */
export function parseChallenge(header: string): Challenge | null {
  const match = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(header);
  if (!match) return null;
  const scheme = match[1]!.toLowerCase() as Challenge['scheme'];
  const params: Record<string, string> = {};
  const pair = /([a-zA-Z_][a-zA-Z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/y;
  const rest = match[2]!;
  pair.lastIndex = 0;
  for (let found = pair.exec(rest); found; found = pair.exec(rest)) {
    params[found[1]!.toLowerCase()] = found[2] !== undefined ? found[2].replace(/\\(.)/g, '$1') : found[3]!;
    while (rest[pair.lastIndex] === ' ') pair.lastIndex++;
  }
  if (scheme === 'bearer' && !params.realm) return null;
  return { scheme, params };
}
