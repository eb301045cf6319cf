import { digestOf, parseDigest } from '../../core/digest.js';
import { manifestMediaTypes, maxManifestBytes, mediaTypes } from '../../core/manifest.js';
import {
  RemoteRegistryError,
  type BlobContent,
  type ManifestContent,
  type ManifestHead,
  type ReferrerEntry,
  type RemoteRegistry,
} from '../../ports/remote-registry.js';
import { streamUpload } from './stream-upload.js';
import { unverifiedFetch } from './unverified-fetch.js';
import { parseChallenge, type Challenge } from './www-authenticate.js';

export interface HttpRemoteRegistryOptions {
  /** Base URL, `https://host[:port]` (a path prefix is kept: `https://host/prefix`). */
  url: string;
  /** Basic credentials (a user, or a robot's name and secret); none for anonymous access. */
  credential?: { username: string; password: string };
  /** Skip TLS certificate verification (Harbor's `insecure`, for self-signed registries). */
  insecure?: boolean;
  /** Seconds a request without a streamed body may take. */
  timeoutSeconds?: number;
  /** Replaceable for tests that count requests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

const manifestAccept = [...manifestMediaTypes, 'application/vnd.oci.artifact.manifest.v1+json'].join(', ');

/** Node's network error codes, in words an operator can act on. */
function describeNetworkError(url: string, error: unknown): RemoteRegistryError {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
  // Several addresses tried at once (IPv4 and IPv6) fail as one AggregateError.
  const code = cause?.code ?? cause?.errors?.[0]?.code ?? (error as { code?: string }).code ?? '';
  const host = new URL(url).host;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RemoteRegistryError(`cannot resolve host ${new URL(url).hostname} (DNS: ${code})`, code === 'EAI_AGAIN');
  if (code === 'ECONNREFUSED') return new RemoteRegistryError(`connection refused by ${host}`, true);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return new RemoteRegistryError(`connection to ${host} was reset`, true);
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /certificate|ssl|tls/i.test(cause?.message ?? '')) {
    return new RemoteRegistryError(`TLS handshake with ${host} failed: ${cause?.message ?? code}`, false);
  }
  if ((error as Error).name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new RemoteRegistryError(`${host} did not answer in time`, true);
  }
  return new RemoteRegistryError(`request to ${host} failed: ${cause?.message ?? (error as Error).message ?? String(error)}`, true);
}

async function errorFrom(response: Response, what: string): Promise<RemoteRegistryError> {
  let detail = '';
  try {
    detail = (await response.text()).slice(0, 500).trim();
    const body = JSON.parse(detail) as { errors?: { code?: string; message?: string }[] };
    if (body.errors) detail = body.errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
  } catch {
    // not JSON: the text itself, if any, is the detail
  }
  const status = response.status;
  const reason = status === 401 ? 'credentials were rejected (401)' : status === 403 ? 'access denied (403)' : `answered ${status}`;
  return new RemoteRegistryError(`${what}: ${reason}${detail ? `: ${detail}` : ''}`, status >= 500 || status === 429, status);
}

/** Reads at most `limit` bytes of a body; null when there are more. */
async function readCapped(response: Response, limit: number): Promise<Uint8Array | null> {
  const length = Number(response.headers.get('content-length') ?? '-1');
  if (length > limit) {
    await response.body?.cancel();
    return null;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * A registry reached over the distribution API, as docker and skopeo reach it: anonymous first,
 * then whatever the `WWW-Authenticate` challenge asks for, Basic or a Bearer token from the realm
 * (Docker token spec), cached per scope until it expires. Blob bodies stream through.
 */
export class HttpRemoteRegistry implements RemoteRegistry {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  /** Learnt from the first challenge; every later request answers it up front. */
  private challenge: Challenge | null | undefined;
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  constructor(private readonly options: HttpRemoteRegistryOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? (options.insecure && this.base.startsWith('https:') ? unverifiedFetch : fetch);
    this.timeoutMs = (options.timeoutSeconds ?? 60) * 1000;
  }

  private basicHeader(): string | undefined {
    const c = this.options.credential;
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
  }

  /** The Authorization header for `scope`, fetching a token when the registry wants one. */
  private async authorization(scope: string): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') return this.basicHeader();
    const cached = this.tokens.get(scope);
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    const realm = new URL(this.challenge.params.realm ?? '');
    if (this.challenge.params.service) realm.searchParams.set('service', this.challenge.params.service);
    for (const one of scope.split(' ').filter(Boolean)) realm.searchParams.append('scope', one);
    const basic = this.basicHeader();
    let response: Response;
    try {
      response = await this.fetch(realm, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw describeNetworkError(realm.toString(), error);
    }
    if (!response.ok) throw await errorFrom(response, `token request to ${realm.host}`);
    const body = (await response.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RemoteRegistryError(`token endpoint ${realm.host} answered no token`, false);
    // Renewed a little early so a long copy never presents a token that expires mid-request.
    const lifetime = Math.max(30, (body.expires_in ?? 60) - 30) * 1000;
    this.tokens.set(scope, { token, expires: Date.now() + lifetime });
    return `Bearer ${token}`;
  }

  /**
   * One request, authenticated for `scope`; on a 401 with a new challenge, authenticates and
   * repeats it once (only when the body can be sent again).
   */
  private async send(method: string, pathOrUrl: string, scope: string, init: { headers?: Record<string, string>; body?: BodyInit | null; stream?: boolean } = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const sameOrigin = new URL(url).origin === new URL(this.base).origin;
    for (let attempt = 0; ; attempt++) {
      const auth = sameOrigin ? await this.authorization(scope) : undefined;
      let response: Response;
      try {
        response = await this.fetch(url, {
          method,
          headers: { ...init.headers, ...(auth ? { authorization: auth } : {}) },
          body: init.body ?? null,
          redirect: 'follow',
          // A streamed body has no length limit in time; everything else does.
          ...(init.stream ? { duplex: 'half' } : { signal: AbortSignal.timeout(this.timeoutMs) }),
        } as RequestInit);
      } catch (error) {
        throw describeNetworkError(url, error);
      }
      if (response.status !== 401 || attempt > 0 || init.stream) return response;
      const header = response.headers.get('www-authenticate');
      const challenge = header ? parseChallenge(header) : null;
      if (!challenge) return response;
      await response.body?.cancel();
      this.challenge = challenge;
      this.tokens.delete(scope);
    }
  }

  /**
   * Every read and write of a repository asks one scope, so one token serves them all (a token
   * request costs the registry a password hash). Token services cut a scope down to what the
   * caller holds, so a pull-only credential still gets its pull token.
   */
  private static scope(repository: string, actions: string): string {
    return `repository:${repository}:${actions === 'delete' ? 'pull,push,delete' : 'pull,push'}`;
  }

  async ping(): Promise<void> {
    const response = await this.send('GET', '/v2/', 'registry:catalog:*');
    await response.body?.cancel();
    if (response.status === 401 && !this.options.credential) throw new RemoteRegistryError('the registry requires credentials (401)', false, 401);
    if (!response.ok) throw await errorFrom(response, `ping ${new URL(this.base).host}`);
  }

  async repositories(): Promise<string[]> {
    const names: string[] = [];
    let next: string | null = '/v2/_catalog?n=1000';
    while (next) {
      const response = await this.send('GET', next, 'registry:catalog:*');
      if (!response.ok) throw await errorFrom(response, 'listing repositories');
      const body = (await response.json()) as { repositories?: string[] };
      names.push(...(body.repositories ?? []));
      next = nextLink(response);
    }
    return names;
  }

  async tags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let next: string | null = `/v2/${repository}/tags/list?n=1000`;
    while (next) {
      const response = await this.send('GET', next, HttpRemoteRegistry.scope(repository, 'pull'));
      if (response.status === 404) {
        await response.body?.cancel();
        return tags;
      }
      if (!response.ok) throw await errorFrom(response, `listing tags of ${repository}`);
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      next = nextLink(response);
    }
    return tags;
  }

  async headManifest(repository: string, reference: string): Promise<ManifestHead | null> {
    const response = await this.send('HEAD', `/v2/${repository}/manifests/${reference}`, HttpRemoteRegistry.scope(repository, 'pull'), { headers: { accept: manifestAccept } });
    if (response.status === 404) return null;
    if (!response.ok) throw await errorFrom(response, `HEAD manifest ${repository}:${reference}`);
    const digest = response.headers.get('docker-content-digest');
    if (!digest) {
      // Some registries omit the digest on HEAD; the body tells it.
      const content = await this.getManifest(repository, reference);
      return content && { digest: content.digest, mediaType: content.mediaType, size: content.bytes.byteLength };
    }
    return { digest, mediaType: response.headers.get('content-type') ?? '', size: Number(response.headers.get('content-length') ?? 0) };
  }

  async getManifest(repository: string, reference: string): Promise<ManifestContent | null> {
    const what = `manifest ${repository}@${reference}`;
    const response = await this.send('GET', `/v2/${repository}/manifests/${reference}`, HttpRemoteRegistry.scope(repository, 'pull'), { headers: { accept: manifestAccept } });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await errorFrom(response, `GET ${what}`);
    const bytes = await readCapped(response, maxManifestBytes);
    if (!bytes) throw new RemoteRegistryError(`${what} is larger than the ${maxManifestBytes} byte manifest limit`, false);
    const asked = parseDigest(reference);
    const announced = response.headers.get('docker-content-digest');
    const expected = asked ?? (announced ? parseDigest(announced) : null);
    const digest = digestOf(bytes, expected?.algorithm ?? 'sha256');
    if (expected && expected.value !== digest) {
      throw new RemoteRegistryError(`${what}: the registry sent bytes hashing to ${digest}, not ${expected.value}`, false);
    }
    const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim() || mediaTypes.ociManifest;
    return { bytes, mediaType, digest };
  }

  async putManifest(repository: string, reference: string, content: ManifestContent): Promise<void> {
    const response = await this.send('PUT', `/v2/${repository}/manifests/${reference}`, HttpRemoteRegistry.scope(repository, 'pull,push'), {
      headers: { 'content-type': content.mediaType },
      body: content.bytes as Uint8Array<ArrayBuffer>,
    });
    await response.body?.cancel();
    if (response.status !== 201 && response.status !== 200) throw await errorFrom(response, `PUT manifest ${repository}:${reference}`);
  }

  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    const isTag = !parseDigest(reference);
    if (isTag && !(await this.headManifest(repository, reference))) return false;
    const response = await this.send('DELETE', `/v2/${repository}/manifests/${reference}`, HttpRemoteRegistry.scope(repository, 'delete'));
    if (response.status === 404 && !isTag) {
      await response.body?.cancel();
      return false;
    }
    // Registries that delete by digest only (Distribution) refuse a tag: deleting the manifest
    // instead would take every other tag naming it along, so the tag is left and said so.
    if (!response.ok) throw await errorFrom(response, isTag ? `DELETE tag ${repository}:${reference} (this registry may not delete tags alone)` : `DELETE manifest ${repository}@${reference}`);
    await response.body?.cancel();
    return true;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const response = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, HttpRemoteRegistry.scope(repository, 'pull'));
    if (response.status === 404) return false;
    if (!response.ok) throw await errorFrom(response, `HEAD blob ${repository}@${digest}`);
    return true;
  }

  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const scope = `${HttpRemoteRegistry.scope(repository, 'pull,push')} ${HttpRemoteRegistry.scope(from, 'pull')}`;
    return this.mountQuery(repository, digest, new URLSearchParams({ mount: digest, from }), scope);
  }

  async adoptBlob(repository: string, digest: string): Promise<boolean> {
    return this.mountQuery(repository, digest, new URLSearchParams({ mount: digest }), HttpRemoteRegistry.scope(repository, 'pull,push'));
  }

  private async mountQuery(repository: string, digest: string, query: URLSearchParams, scope: string): Promise<boolean> {
    const response = await this.send('POST', `/v2/${repository}/blobs/uploads/?${query}`, scope);
    await response.body?.cancel();
    if (response.status === 201) return true;
    if (response.status === 202) {
      // The registry opened an ordinary upload instead: close it rather than leave it to expire.
      const location = response.headers.get('location');
      if (location) await this.send('DELETE', new URL(location, this.base).toString(), scope).then((r) => r.body?.cancel(), () => undefined);
      return false;
    }
    if (response.status >= 500 || response.status === 429) throw await errorFrom(response, `mount ${digest} into ${repository}`);
    return false;
  }

  async getBlob(repository: string, digest: string): Promise<BlobContent | null> {
    const response = await this.send('GET', `/v2/${repository}/blobs/${digest}`, HttpRemoteRegistry.scope(repository, 'pull'), { stream: true });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok || !response.body) throw await errorFrom(response, `GET blob ${repository}@${digest}`);
    const size = Number(response.headers.get('content-length') ?? '-1');
    return { size, body: response.body as AsyncIterable<Uint8Array> };
  }

  async putBlob(repository: string, digest: string, blob: BlobContent): Promise<void> {
    const scope = HttpRemoteRegistry.scope(repository, 'pull,push');
    // The session is opened with a small request, so its challenge is answered and the token
    // cached before the streamed body, which cannot be sent twice, goes out.
    const start = await this.send('POST', `/v2/${repository}/blobs/uploads/`, scope);
    await start.body?.cancel();
    if (start.status !== 202) throw await errorFrom(start, `starting an upload to ${repository}`);
    const location = start.headers.get('location');
    if (!location) throw new RemoteRegistryError(`${repository}: the upload answer has no Location`, false);
    const target = new URL(location, `${this.base}/`);
    target.searchParams.set('digest', digest);
    // The token is cached by now (the POST answered its challenge); a foreign upload host (an
    // upload service with a token in the Location) gets no Authorization, as docker sends none.
    const auth = target.origin === new URL(this.base).origin ? await this.authorization(scope) : undefined;
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      ...(blob.size >= 0 ? { 'content-length': String(blob.size) } : { 'transfer-encoding': 'chunked' }),
      ...(auth ? { authorization: auth } : {}),
    };
    let response;
    try {
      response = await streamUpload(target, 'PUT', headers, blob.body, { verifyTls: !this.options.insecure });
    } catch (error) {
      throw describeNetworkError(target.toString(), error);
    }
    if (response.status !== 201) {
      throw await errorFrom(new Response(response.text, { status: response.status }), `uploading blob ${digest} to ${repository}`);
    }
  }

  async referrers(repository: string, digest: string): Promise<ReferrerEntry[] | null> {
    const response = await this.send('GET', `/v2/${repository}/referrers/${digest}`, HttpRemoteRegistry.scope(repository, 'pull'));
    const type = response.headers.get('content-type') ?? '';
    // Registries without the API answer 404 with an error body (or an HTML page); one with it
    // answers an image index, an empty one when nothing refers to the digest.
    if (response.status === 404 || !type.includes(mediaTypes.ociIndex)) {
      await response.body?.cancel();
      if (response.ok || response.status === 404 || response.status === 405) return null;
      throw await errorFrom(response, `referrers of ${repository}@${digest}`);
    }
    if (!response.ok) throw await errorFrom(response, `referrers of ${repository}@${digest}`);
    const body = (await response.json()) as { manifests?: ReferrerEntry[] };
    return body.manifests ?? [];
  }
}

/** The next page of a paginated list (RFC 5988 `Link: <...>; rel="next"`), or null. */
function nextLink(response: Response): string | null {
  const link = response.headers.get('link');
  const match = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  return match ? match[1]! : null;
}
