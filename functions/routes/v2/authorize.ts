import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { OciError } from '../../core/errors.js';
import { isValidName } from '../../core/reference.js';
import type { RegistryAction } from '../../identity/access.js';
import type { Identity } from '../../identity/identity.js';
import { type Principal, anonymous, isSysadmin, subjectOf } from '../../identity/principal.js';
import { type ResourceAccess, formatScope } from '../../identity/scope.js';
import { projectOf } from '../../identity/stores/project-store.js';
import type { TokenClaims } from '../../identity/token-service.js';
import { parseAuthorization } from '../credentials.js';
import { loginOrThrow } from '../login.js';
import { type V2Access, classifyV2Request, rawPathOf } from './route-table.js';

/** Upload-session endpoints, which the upload service reaches with its own signed token. */
const sessionEndpoints: ReadonlySet<string> = new Set(['end-5', 'end-6', 'end-13', 'end-14']);

/** Who is calling and how their rights are decided: by a token's claims, or looked up. */
interface Caller {
  principal: () => Promise<Principal | null>;
  /** Set for Bearer callers: they hold exactly these claims. */
  claims: TokenClaims | null;
  /** No credentials, or an anonymous token: a refusal asks them to log in (401). */
  anonymous: boolean;
}

/**
 * Authorization for /v2/*, ahead of the registry routes. A request is let through only when the
 * caller holds every action its endpoint needs on its repository; otherwise callers without
 * credentials (or with an anonymous token) get 401 and the token-auth challenge, and
 * authenticated callers get 403 DENIED. A Bearer token is trusted for exactly its `access` claim;
 * Basic credentials (what curl and scripts send) are checked and looked up per request.
 */
export function authorizeV2(options: { classify?: typeof classifyV2Request } = {}): MiddlewareHandler<AppEnv> {
  const classify = options.classify ?? classifyV2Request;
  return async function authorize(c, next) {
    const identity = c.get('deps').identity;
    if (!identity) return next();
    // The raw path, as the router matches it: an encoded slash stays encoded and matches no route.
    const access = classify(c.req.method, rawPathOf(c.req.url), () => new URL(c.req.url).searchParams);
    if (access?.match) c.set('v2Match', access.match);
    if (access && sessionEndpoints.has(access.endpoint) && c.req.query('_t') !== undefined) {
      // A session continued on the upload service carries no credentials (clients send none to
      // another host) but a token naming the session and repository, minted by the POST this
      // middleware authorized; the upload routes verify it before touching anything.
      return next();
    }
    const caller = await identify(c, identity, access);

    if (access === null) {
      // No route of the table matches (classify and the router share it), so the router can only
      // answer an error (404, 405, NAME_INVALID for an encoded name); it may tell that to anyone
      // who has logged in. Anonymous callers are asked to authenticate first.
      if (caller.anonymous) throw refusal(c, identity, caller, null, 'authentication required');
      return next();
    }
    if (access.catalog) {
      const scope: ResourceAccess = { type: 'registry', name: 'catalog', actions: ['*'] };
      const ok = caller.claims
        ? caller.claims.access.some((a) => a.type === 'registry' && a.name === 'catalog' && a.actions.includes('*'))
        : isSysadmin((await caller.principal()) ?? anonymous);
      if (!ok) throw refusal(c, identity, caller, scope, 'catalog access denied');
      return next();
    }
    if (access.repository === null) {
      // end-1 GET /v2/: "are my credentials good here" — docker login probes it.
      if (caller.claims === null && caller.anonymous) throw refusal(c, identity, caller, null, 'authentication required');
      return next();
    }

    const repository = access.repository;
    if (!isValidName(repository)) {
      // A malformed name is in no project, so there is nothing to authorize: an authenticated
      // caller gets the registry's 400 NAME_INVALID (answered before anything is looked up, as the
      // conformance suite requires); an anonymous one is asked to authenticate.
      if (caller.anonymous) throw refusal(c, identity, caller, null, 'authentication required');
      return next();
    }
    const scope: ResourceAccess = { type: 'repository', name: repository, actions: access.actions };
    if (!(await holds(identity, caller, repository, access.actions))) {
      // Someone logged in may learn that a project does not exist (they could create one of that
      // name, and HEAD /api/v2.0/projects tells them as much); whether a private one does stays
      // hidden behind the same DENIED as any other refusal.
      if (!caller.anonymous && !(await identity.projects.get(projectOf(repository)))) throw missingProject(repository);
      throw refusal(c, identity, caller, scope, 'access denied');
    }

    if (caller.claims && access.actions.every((action) => action === 'pull')) {
      // A bearer pull is decided by the token alone; its subject names the actor without a lookup
      // (the hot path: every layer and manifest GET of every client).
      if (caller.claims.subject !== '') c.set('actor', caller.claims.subject);
      return next();
    }
    c.set('canPull', async (other) => isValidName(other) && holds(identity, caller, other, ['pull']));
    c.set('canOverwriteTag', async (other) => {
      if (!isValidName(other) || !(await holds(identity, caller, other, ['push']))) return false;
      const principal = await caller.principal();
      if (!principal) return false;
      const { actions } = await identity.access.actionsOn(principal, projectOf(other));
      return actions.has('overwrite-tag');
    });
    const principal = await caller.principal();
    if (principal) {
      c.set('principal', principal);
      if (principal.kind !== 'anonymous') c.set('actor', subjectOf(principal));
    }
    await next();
    // A project comes into being with its first manifest, not with an upload session (which may
    // never be finished): see `shouldCreateProjectOnPush`.
    if (access.endpoint === 'end-7' && c.res.status === 201 && principal) await createProjectOnFirstPush(identity, principal, repository);
  };
}

async function identify(c: Context<AppEnv>, identity: Identity, access: V2Access | null): Promise<Caller> {
  const credentials = parseAuthorization(c.req.header('authorization'));
  if (credentials.scheme === 'none') return { principal: async () => anonymous, claims: null, anonymous: true };
  if (credentials.scheme === 'bearer') {
    const claims = await identity.tokens.verifyAccessToken(credentials.token);
    if (!claims) throw challenge(c, identity, scopeFor(access), 'invalid or expired token', 'invalid_token');
    let loaded: Promise<Principal | null> | undefined;
    return { principal: () => (loaded ??= identity.principalOf(claims.subject)), claims, anonymous: claims.subject === '' };
  }
  if (credentials.scheme === 'basic') {
    const principal = await loginOrThrow(c, identity, credentials.login, credentials.password, () =>
      challenge(c, identity, scopeFor(access), 'invalid username or password'),
    );
    return { principal: async () => principal, claims: null, anonymous: false };
  }
  throw challenge(c, identity, scopeFor(access), 'unsupported authorization', 'invalid_request');
}

/** Whether the caller holds all `actions` on `repository`: in the token's claims, else by RBAC. */
async function holds(identity: Identity, caller: Caller, repository: string, actions: RegistryAction[]): Promise<boolean> {
  if (caller.claims) {
    const claims = caller.claims;
    return actions.every((action) =>
      claims.access.some((a) => a.type === 'repository' && a.name === repository && a.actions.includes(action)),
    );
  }
  const principal = await caller.principal();
  if (!principal) return false;
  const granted = await identity.access.grantOnRepository(principal, repository, actions);
  return actions.every((action) => granted.includes(action));
}

/**
 * See `shouldCreateProjectOnPush`: a system admin's first manifest in a project that does not
 * exist creates it, private, the same way the API does (the pusher its project admin).
 */
async function createProjectOnFirstPush(identity: Identity, principal: Principal, repository: string): Promise<void> {
  const name = projectOf(repository);
  if (principal.kind !== 'user' || !principal.user.sysadmin || (await identity.projects.get(name))) return;
  await identity.createProject({ name, public: false, creator: principal.user });
}

function missingProject(repository: string): OciError {
  const project = projectOf(repository);
  return new OciError('NAME_UNKNOWN', `project ${project} does not exist: a system admin creates it (or pushes to it first)`, { project, repository });
}

function scopeFor(access: V2Access | null): ResourceAccess | null {
  if (!access) return null;
  if (access.catalog) return { type: 'registry', name: 'catalog', actions: ['*'] };
  if (access.repository === null || !isValidName(access.repository)) return null;
  return { type: 'repository', name: access.repository, actions: access.actions };
}

function refusal(c: Context<AppEnv>, identity: Identity, caller: Caller, scope: ResourceAccess | null, message: string): OciError {
  if (caller.anonymous) return challenge(c, identity, scope, message);
  const detail = scope ? [{ Type: scope.type, Name: scope.name, Action: scope.actions.join(',') }] : undefined;
  return new OciError('DENIED', 'requested access to the resource is denied', detail);
}

/** 401 with the token-auth challenge (Docker token spec, "How to authenticate"). */
export function challenge(
  c: Context<AppEnv>,
  identity: Identity,
  scope: ResourceAccess | null,
  message: string,
  error?: 'invalid_token' | 'invalid_request' | 'insufficient_scope',
): OciError {
  const realm = identity.options.realm ?? `${new URL(c.req.url).origin}/service/token`;
  const parts = [`realm="${realm}"`, `service="${identity.options.service}"`];
  if (scope) parts.push(`scope="${formatScope(scope)}"`);
  if (error) parts.push(`error="${error}"`);
  return new OciError('UNAUTHORIZED', message, undefined, { headers: { 'WWW-Authenticate': `Bearer ${parts.join(',')}` } });
}
