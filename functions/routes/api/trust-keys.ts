import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { describeKey, type TrustKey, TrustKeyStore } from '../../trust/key-store.js';
import { apiError, paginate, parseBody, projectFor } from './api-context.js';

/** A PEM key or certificate is a few KB; a chain bundle tens. Anything longer is not one. */
const maxPemLength = 64 * 1024;
const pem = z.string().check(z.maxLength(maxPemLength, `PEM text longer than ${maxPemLength} characters`));

export const trustKeyReqSchema = z.object({
  name: z.string(),
  /** A cosign public key (cosign.pub). */
  public_key: z.optional(pem),
  /** A Notation trust anchor: the root (or signing) certificate. */
  certificate: z.optional(pem),
  /** With a certificate: the signer identity it may vouch for (`x509.subject: ...`, `email:...`, `*`). */
  identity: z.optional(z.string().check(z.maxLength(1024))),
});

function present(key: TrustKey) {
  return {
    name: key.name,
    type: key.kind,
    algorithm: key.algorithm,
    fingerprint: key.fingerprint,
    ...(key.identity ? { identity: key.identity } : {}),
    ...(key.subject ? { subject: key.subject } : {}),
    ...(key.notAfter ? { not_after: key.notAfter } : {}),
    creation_time: key.createdAt,
    [key.kind]: key.pem,
  };
}

/**
 * `/api/v2.0/projects/{project_name_or_id}/trust/keys`: the keys a project trusts for content
 * trust. Only the project's admins and system admins see or change them (`update-project`): a key
 * list tells an attacker whose key to steal. A change re-verifies the project's signed artifacts
 * off the request path (a `trust-reverify` job committed with the change).
 */
export function trustKeyRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const store = (c: { get(key: 'deps'): AppEnv['Variables']['deps'] }) => new TrustKeyStore(c.get('deps').table, c.get('deps').queue);

  routes.get('/:project_name_or_id/trust/keys', async (c) => {
    const project = await projectFor(c, 'update-project');
    return c.json(paginate(c, await store(c).list(project)).map(present));
  });

  routes.post('/:project_name_or_id/trust/keys', async (c) => {
    const project = await projectFor(c, 'update-project');
    const body = await parseBody(c, trustKeyReqSchema);
    if ((body.public_key === undefined) === (body.certificate === undefined)) {
      throw apiError(400, 'BAD_REQUEST', 'send exactly one of public_key (cosign) or certificate (Notation trust anchor)');
    }
    if (body.public_key !== undefined && body.identity !== undefined) throw apiError(400, 'BAD_REQUEST', 'identity applies to certificates only');
    const now = c.get('deps').now?.() ?? new Date();
    const described = describeKey(
      body.public_key !== undefined
        ? { name: body.name, kind: 'public_key', pem: body.public_key }
        : { name: body.name, kind: 'certificate', pem: body.certificate!, ...(body.identity !== undefined ? { identity: body.identity } : {}) },
      now,
    );
    if ('error' in described) throw apiError(400, 'BAD_REQUEST', described.error);
    if (!(await store(c).add(project, { ...described, createdAt: now.toISOString() }))) {
      throw apiError(409, 'CONFLICT', `project ${project.name} already trusts a key named ${body.name}`);
    }
    c.header('Location', `/api/v2.0/projects/${project.name}/trust/keys/${body.name}`);
    return c.body(null, 201);
  });

  routes.delete('/:project_name_or_id/trust/keys/:name', async (c) => {
    const project = await projectFor(c, 'update-project');
    const name = c.req.param('name');
    if (!(await store(c).remove(project, name))) throw apiError(404, 'NOT_FOUND', `project ${project.name} has no key named ${name}`);
    return c.body(null, 200);
  });

  return routes;
}
