import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { adapterMetadata } from '../../scanning/adapter-client.js';
import { type ScannerRegistration, ScannerRegistry, builtinUuid } from '../../scanning/scanner-registry.js';
import { builtinScanner, vulnerabilityReportType } from '../../scanning/report.js';
import { apiError, parseBody, requireSysadmin } from './api-context.js';

const authKinds = z.enum(['', 'Basic', 'Bearer', 'X-ScannerAdapter-API-Key']);

export const scannerRegistrationSchema = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(255)),
  description: z.optional(z.string()),
  url: z.string().check(z.refine((u) => /^https?:\/\/[^\s]+$/.test(u), 'url must be an http(s) URL')),
  auth: z.optional(authKinds),
  access_credential: z.optional(z.string()),
  skip_certVerify: z.optional(z.boolean()),
  use_internal_addr: z.optional(z.boolean()),
  disabled: z.optional(z.boolean()),
});

const registrationUpdate = z.partial(scannerRegistrationSchema);

/** What a registration looks like to API callers: the credential is never shown. */
function present(registration: ScannerRegistration) {
  return { ...registration, access_credential: registration.access_credential ? '********' : '' };
}

/** `/api/v2.0/scanners`: Harbor's scanner registrations (system admins only, as in Harbor). */
export function scannerRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const registry = (c: { get(key: 'deps'): AppEnv['Variables']['deps'] }) => {
    const deps = c.get('deps');
    return new ScannerRegistry(deps.table, () => deps.now?.() ?? new Date());
  };

  routes.use(async (c, next) => {
    requireSysadmin(c);
    await next();
  });

  routes.get('/', async (c) => c.json((await registry(c).list()).map(present)));

  routes.post('/', async (c) => {
    const body = await parseBody(c, scannerRegistrationSchema);
    const created = await registry(c).create({
      name: body.name,
      description: body.description ?? '',
      url: body.url,
      auth: body.auth ?? '',
      access_credential: body.access_credential ?? '',
      skip_certVerify: body.skip_certVerify ?? false,
      use_internal_addr: body.use_internal_addr ?? false,
      disabled: body.disabled ?? false,
    });
    if (!created) throw apiError(409, 'CONFLICT', `a scanner named ${body.name} is already registered`);
    c.header('Location', `/api/v2.0/scanners/${created.uuid}`);
    return c.body(null, 201);
  });

  routes.post('/ping', async (c) => {
    const body = await parseBody(c, scannerRegistrationSchema);
    const probe = { uuid: '', is_default: false, create_time: '', update_time: '', description: '', auth: '', access_credential: '', skip_certVerify: false, use_internal_addr: false, disabled: false, ...body };
    try {
      await adapterMetadata(probe as ScannerRegistration);
    } catch (error) {
      throw apiError(400, 'BAD_REQUEST', `scanner at ${body.url} did not answer its metadata: ${(error as Error).message}`);
    }
    return c.body(null, 200);
  });

  routes.get('/:registration_id', async (c) => {
    const found = await registry(c).get(c.req.param('registration_id'));
    if (!found) throw apiError(404, 'NOT_FOUND', 'scanner registration not found');
    return c.json(present(found));
  });

  routes.get('/:registration_id/metadata', async (c) => {
    const found = await registry(c).get(c.req.param('registration_id'));
    if (!found) throw apiError(404, 'NOT_FOUND', 'scanner registration not found');
    if (found.uuid === builtinUuid) {
      return c.json({
        scanner: builtinScanner,
        capabilities: [{ type: 'vulnerability', consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'], produces_mime_types: [vulnerabilityReportType] }],
        properties: {},
      });
    }
    try {
      return c.json(await adapterMetadata(found));
    } catch (error) {
      throw apiError(500, 'INTERNAL_SERVER_ERROR', (error as Error).message);
    }
  });

  routes.put('/:registration_id', async (c) => {
    const body = await parseBody(c, registrationUpdate);
    const id = c.req.param('registration_id');
    if (id === builtinUuid) throw apiError(400, 'BAD_REQUEST', 'the built-in scanner cannot be changed');
    const updated = await registry(c).update(id, body);
    if (!updated) throw apiError(404, 'NOT_FOUND', 'scanner registration not found, or its new name is taken');
    return c.body(null, 200);
  });

  routes.patch('/:registration_id', async (c) => {
    const body = await parseBody(c, z.object({ is_default: z.boolean() }));
    const id = c.req.param('registration_id');
    if (!body.is_default) throw apiError(400, 'BAD_REQUEST', 'choose another scanner as default instead');
    if (!(await registry(c).setDefault(id))) throw apiError(404, 'NOT_FOUND', 'scanner registration not found');
    return c.body(null, 200);
  });

  routes.delete('/:registration_id', async (c) => {
    const id = c.req.param('registration_id');
    if (id === builtinUuid) throw apiError(400, 'BAD_REQUEST', 'the built-in scanner cannot be removed');
    const removed = await registry(c).remove(id);
    if (!removed) throw apiError(404, 'NOT_FOUND', 'scanner registration not found');
    return c.json(present(removed));
  });

  return routes;
}
