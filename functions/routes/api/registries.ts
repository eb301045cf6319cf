import { Hono } from 'hono';
import type { Context } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { RemoteRegistryError } from '../../ports/remote-registry.js';
import type { RegistryRecord } from '../../replication/registry-store.js';
import { replicatorFor } from '../../replication/replicators.js';
import { apiError, idParam, paginate, parseBody, requireSysadmin } from './api-context.js';

/** What Harbor answers in place of a stored secret. */
export const maskedSecret = '*****';

const registryTypes = ['harbor', 'docker-registry'] as const;
const credentialTypes = ['basic', 'robot'] as const;

const url = z.string().check(
  z.maxLength(2048),
  z.refine((value) => {
    try {
      const parsed = new URL(value);
      return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && !parsed.search && !parsed.hash && !parsed.username;
    } catch {
      return false;
    }
  }, 'an http(s) URL without credentials, query or fragment'),
);
const name = z.string().check(z.minLength(1), z.maxLength(255));
const credential = z.object({
  type: z._default(z.enum(credentialTypes), 'basic'),
  access_key: z.string().check(z.maxLength(512)),
  access_secret: z.string().check(z.maxLength(4096)),
});

export const registryCreateSchema = z.object({
  name,
  url,
  type: z.enum(registryTypes),
  description: z._default(z.string().check(z.maxLength(1024)), ''),
  insecure: z._default(z.boolean(), false),
  credential: z.optional(credential),
});

export const registryUpdateSchema = z.object({
  name: z.optional(name),
  url: z.optional(url),
  description: z.optional(z.string().check(z.maxLength(1024))),
  insecure: z.optional(z.boolean()),
  credential_type: z.optional(z.enum(credentialTypes)),
  access_key: z.optional(z.string().check(z.maxLength(512))),
  access_secret: z.optional(z.string().check(z.maxLength(4096))),
});

export const registryPingSchema = z.object({
  id: z.optional(z.int().check(z.positive())),
  type: z.optional(z.enum(registryTypes)),
  url: z.optional(url),
  insecure: z.optional(z.boolean()),
  credential_type: z.optional(z.enum(credentialTypes)),
  access_key: z.optional(z.string().check(z.maxLength(512))),
  access_secret: z.optional(z.string().check(z.maxLength(4096))),
});

/** Plain HTTP only when asked for: `insecure` is the operator saying so (Harbor's meaning). */
function checkTransport(target: { url: string; insecure: boolean }): void {
  if (target.url.startsWith('http:') && !target.insecure) {
    throw apiError(400, 'BAD_REQUEST', 'a plain http:// registry needs "insecure": true');
  }
}

export function presentRegistry(record: RegistryRecord) {
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    type: record.type,
    url: record.url,
    insecure: record.insecure,
    credential: record.credential
      ? { type: record.credential.type, access_key: record.credential.accessKey, access_secret: maskedSecret }
      : { type: 'basic', access_key: '', access_secret: '' },
    status: 'healthy',
    creation_time: record.createdAt,
    update_time: record.updatedAt,
  };
}

async function registryOf(c: Context<AppEnv>): Promise<RegistryRecord> {
  const record = await replicatorFor(c.get('deps')).registries.get(idParam(c, 'id'));
  if (!record) throw apiError(404, 'NOT_FOUND', 'registry not found');
  return record;
}

async function sealed(c: Context<AppEnv>, type: 'basic' | 'robot', accessKey: string, secret: string): Promise<RegistryRecord['credential']> {
  if (accessKey === '' && secret === '') return null;
  const box = replicatorFor(c.get('deps')).secretBox;
  if (!box) throw apiError(400, 'BAD_REQUEST', 'this deployment has no credential key (BERTH_REPLICATION_KEY), so it cannot store credentials');
  return { type, accessKey, sealedSecret: await box.seal(secret) };
}

/** `/api/v2.0/registries`: remote registries replication policies copy to or from. System admin only. */
export function registryRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use(async (c, next) => {
    requireSysadmin(c);
    await next();
  });

  routes.post('/ping', async (c) => {
    const body = await parseBody(c, registryPingSchema);
    const replicator = replicatorFor(c.get('deps'));
    const stored = body.id === undefined ? null : await replicator.registries.get(body.id);
    if (body.id !== undefined && !stored) throw apiError(404, 'NOT_FOUND', `registry ${body.id} not found`);
    const target = {
      url: body.url ?? stored?.url,
      insecure: body.insecure ?? stored?.insecure ?? false,
      type: body.type ?? stored?.type ?? 'docker-registry',
    };
    if (!target.url) throw apiError(400, 'BAD_REQUEST', 'give the id of a stored registry or a url');
    checkTransport({ url: target.url, insecure: target.insecure });
    // A secret sent back masked means "the stored one".
    let secret: string | null = body.access_secret ?? null;
    let accessKey = body.access_key ?? stored?.credential?.accessKey ?? '';
    if ((secret === null || secret === maskedSecret) && stored?.credential) {
      secret = replicator.secretBox ? await replicator.secretBox.open(stored.credential.sealedSecret) : null;
      accessKey = body.access_key ?? stored.credential.accessKey;
    }
    const client = replicator.connectWith({ url: target.url, insecure: target.insecure }, accessKey || secret ? { username: accessKey, password: secret ?? '' } : null);
    try {
      await client.ping();
    } catch (error) {
      if (error instanceof RemoteRegistryError) throw apiError(400, 'BAD_REQUEST', `failed to ping the registry: ${error.message}`);
      throw error;
    }
    return c.body(null, 200);
  });

  routes.post('/', async (c) => {
    const body = await parseBody(c, registryCreateSchema);
    checkTransport(body);
    const replicator = replicatorFor(c.get('deps'));
    const credential = body.credential ? await sealed(c, body.credential.type, body.credential.access_key, body.credential.access_secret) : null;
    const record = await replicator.registries.create({
      name: body.name,
      type: body.type,
      url: body.url.replace(/\/+$/, ''),
      insecure: body.insecure,
      description: body.description,
      credential,
    });
    if (!record) throw apiError(409, 'CONFLICT', `a registry named ${body.name} already exists`);
    c.header('Location', `/api/v2.0/registries/${record.id}`);
    return c.body(null, 201);
  });

  routes.get('/', async (c) => {
    const all = await replicatorFor(c.get('deps')).registries.list();
    // Harbor's query: q=name=<exact> or q=name=~<fragment>; also the older ?name=<fragment>.
    const q = /^name=(~?)(.*)$/.exec(c.req.query('q') ?? '');
    const fragment = c.req.query('name');
    const selected = all.filter((r) => (q ? (q[1] ? r.name.includes(q[2]!) : r.name === q[2]) : true) && (fragment ? r.name.includes(fragment) : true));
    return c.json(paginate(c, selected).map(presentRegistry));
  });

  routes.get('/:id', async (c) => c.json(presentRegistry(await registryOf(c))));

  routes.get('/:id/info', async (c) => {
    const record = await registryOf(c);
    return c.json({
      type: record.type,
      description: record.description,
      supported_resource_filters: [
        { type: 'name', style: 'input' },
        { type: 'tag', style: 'input' },
      ],
      supported_triggers: ['manual', 'scheduled', 'event_based'],
    });
  });

  routes.put('/:id', async (c) => {
    const current = await registryOf(c);
    const body = await parseBody(c, registryUpdateSchema);
    const next = { url: body.url ?? current.url, insecure: body.insecure ?? current.insecure };
    checkTransport(next);
    let credential = current.credential;
    if (body.access_key !== undefined || body.credential_type !== undefined || (body.access_secret !== undefined && body.access_secret !== maskedSecret)) {
      const type = body.credential_type ?? current.credential?.type ?? 'basic';
      const accessKey = body.access_key ?? current.credential?.accessKey ?? '';
      if (body.access_secret === undefined || body.access_secret === maskedSecret) {
        credential = current.credential ? { ...current.credential, type, accessKey } : await sealed(c, type, accessKey, '');
      } else {
        credential = await sealed(c, type, accessKey, body.access_secret);
      }
    }
    const updated = await replicatorFor(c.get('deps')).registries.update(current, {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.description === undefined ? {} : { description: body.description }),
      url: next.url.replace(/\/+$/, ''),
      insecure: next.insecure,
      credential,
    });
    if (!updated) throw apiError(409, 'CONFLICT', 'the name is taken, or the registry changed meanwhile');
    return c.body(null, 200);
  });

  routes.delete('/:id', async (c) => {
    const record = await registryOf(c);
    const replicator = replicatorFor(c.get('deps'));
    if (await replicator.policies.usesRegistry(record.id)) {
      throw apiError(412, 'PRECONDITION', `registry ${record.name} is used by a replication policy; delete or change the policy first`);
    }
    await replicator.registries.delete(record);
    return c.body(null, 200);
  });

  return routes;
}
