/**
 * A client of Docker's token authentication, as docker and containerd are: for each repository a
 * request names, it fetches a token from the realm the registry's challenge names (Basic
 * credentials, every action asked for) and sends it as a Bearer. Tokens are fetched before the
 * request, never by retrying it, since an upload body can be sent only once.
 */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export function withTokenAuth(fetch: FetchLike, username: string, password: string): FetchLike {
  let challenge: Promise<{ realm: string; service: string } | null> | undefined;
  const tokens = new Map<string, { token: string; fetchedAt: number }>();
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

  async function tokenFor(scope: string): Promise<string | null> {
    challenge ??= fetch('/v2/').then((response) => {
      const header = response.headers.get('www-authenticate') ?? '';
      const realm = /realm="([^"]+)"/.exec(header)?.[1];
      const service = /service="([^"]+)"/.exec(header)?.[1];
      return response.status === 401 && realm && service ? { realm, service } : null;
    });
    const where = await challenge;
    if (!where) return null;
    const cached = tokens.get(scope);
    // Tokens live 300 s; fetch a new one well before that.
    if (cached && Date.now() - cached.fetchedAt < 120_000) return cached.token;
    const url = new URL(where.realm);
    url.searchParams.set('service', where.service);
    for (const part of scope.split(' ')) url.searchParams.append('scope', part);
    const response = await fetch(url.toString(), { headers: { authorization: basic } });
    if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
    const { token } = (await response.json()) as { token: string };
    tokens.set(scope, { token, fetchedAt: Date.now() });
    return token;
  }

  return async (url, init = {}) => {
    const path = new URL(url, 'http://relative.invalid').pathname;
    // Greedy up to an endpoint suffix: a name may itself hold a `manifests` or `blobs` component.
    const repository = /^\/v2\/(.+)\/(?:manifests\/[^/]+|blobs\/uploads\/?[^/]*|blobs\/[^/]+|tags\/list|referrers\/[^/]+)$/.exec(path)?.[1];
    let scope = repository ? `repository:${repository}:pull,push,delete` : path === '/v2/_catalog' ? 'registry:catalog:*' : 'registry:base:*';
    // A cross-repository mount also reads the source repository, so ask for both (docker does).
    const from = new URL(url, 'http://relative.invalid').searchParams.get('from');
    if (from && (init.method ?? 'GET').toUpperCase() === 'POST') scope = `${scope} repository:${from}:pull`;
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) {
      const token = await tokenFor(scope);
      if (token) headers.set('authorization', `Bearer ${token}`);
    }
    return fetch(url, { ...init, headers });
  };
}
