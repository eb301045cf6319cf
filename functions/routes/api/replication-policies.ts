import { Hono } from 'hono';
import type { Context } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { globProblem } from '../../replication/filters.js';
import type { PolicyRecord } from '../../replication/policy-store.js';
import type { Replicator } from '../../replication/replicator.js';
import { schedulePolicy } from '../../replication/replication-capability.js';
import { cronProblem, replicatorFor } from '../../replication/replicators.js';
import { apiError, idParam, paginate, parseBody, requireSysadmin } from './api-context.js';
import { presentRegistry } from './registries.js';

/** Harbor names this Berth "Local", registry id 0, in policies. */
const localId = 0;

const registryRef = z.nullable(z.optional(z.looseObject({ id: z.int().check(z.nonnegative()) })));
const filter = z.object({
  type: z.enum(['name', 'tag', 'resource', 'label']),
  value: z.string(),
  decoration: z.optional(z.enum(['matches', 'excludes'])),
});

export const policySchema = z.looseObject({
  name: z.string().check(z.minLength(1), z.maxLength(255)),
  description: z._default(z.string().check(z.maxLength(1024)), ''),
  src_registry: registryRef,
  dest_registry: registryRef,
  dest_namespace: z._default(z.string().check(z.maxLength(255)), ''),
  dest_namespace_replace_count: z._default(z.int().check(z.minimum(-1), z.maximum(100)), -1),
  trigger: z._default(
    z.object({
      type: z.enum(['manual', 'scheduled', 'event_based']),
      trigger_settings: z.optional(z.looseObject({ cron: z.optional(z.string()) })),
    }),
    { type: 'manual' },
  ),
  filters: z._default(z.nullable(z.array(filter).check(z.maxLength(20))), []),
  override: z._default(z.boolean(), true),
  deletion: z.optional(z.boolean()),
  replicate_deletion: z.optional(z.boolean()),
  enabled: z._default(z.boolean(), true),
  speed: z.optional(z.int()),
  copy_by_chunk: z.optional(z.boolean()),
});

type PolicyBody = z.infer<typeof policySchema>;
type PolicyFields = Omit<PolicyRecord, 'id' | 'createdAt' | 'updatedAt'>;

/** The namespace grammar of a repository path component (distribution-spec `<name>`). */
const namespaceGrammar = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Checks a policy body against the rules Harbor applies; 400 with the first rule broken. */
async function policyFields(replicator: Replicator, body: PolicyBody): Promise<PolicyFields> {
  const bad = (message: string) => apiError(400, 'BAD_REQUEST', message);
  const src = body.src_registry?.id ?? localId;
  const dest = body.dest_registry?.id ?? localId;
  if (src === localId && dest === localId) throw bad('name a remote registry as src_registry (pull mode) or dest_registry (push mode)');
  if (src !== localId && dest !== localId) throw bad('a policy names one remote registry: src_registry or dest_registry, not both');
  const remote = src === localId ? dest : src;
  if (!(await replicator.registries.get(remote))) throw bad(`registry ${remote} does not exist`);
  if (body.dest_namespace && !namespaceGrammar.test(body.dest_namespace)) throw bad(`dest_namespace ${JSON.stringify(body.dest_namespace)} is not a valid repository namespace`);
  const filters: PolicyRecord['filters'] = [];
  for (const f of body.filters ?? []) {
    if (f.type === 'label') throw bad('label filters are not supported');
    if (f.type === 'resource') {
      if (f.value !== 'image' && f.value !== 'artifact') throw bad(`resource filter value must be "image" or "artifact", not ${JSON.stringify(f.value)}`);
    } else {
      const problem = globProblem(f.value);
      if (problem) throw bad(`${f.type} filter: ${problem}`);
    }
    if (f.decoration && f.type !== 'tag') throw bad('only tag filters take a decoration');
    filters.push({ type: f.type, value: f.value, ...(f.decoration ? { decoration: f.decoration } : {}) });
  }
  const trigger: PolicyRecord['trigger'] = { type: body.trigger.type };
  if (body.trigger.type === 'scheduled') {
    const cron = body.trigger.trigger_settings?.cron ?? '';
    const problem = cronProblem(cron);
    if (problem) throw bad(`trigger_settings.cron: ${problem}`);
    trigger.cron = cron;
  }
  if (body.trigger.type === 'event_based' && src !== localId) throw bad('event_based triggers need this registry as the source (push mode): remote registries send no events');
  return {
    name: body.name,
    description: body.description,
    srcRegistryId: src === localId ? null : src,
    destRegistryId: dest === localId ? null : dest,
    destNamespace: body.dest_namespace,
    destNamespaceReplaceCount: body.dest_namespace_replace_count,
    trigger,
    filters,
    override: body.override,
    deletion: body.deletion ?? body.replicate_deletion ?? false,
    enabled: body.enabled,
    systemManaged: false,
  };
}

function localRegistry(c: Context<AppEnv>) {
  return { id: localId, name: 'Local', type: 'harbor', url: new URL(c.req.url).origin, insecure: false, description: '', status: 'healthy' };
}

async function presentPolicy(c: Context<AppEnv>, replicator: Replicator, policy: PolicyRecord) {
  const side = async (id: number | null) => {
    if (id === null) return localRegistry(c);
    const record = await replicator.registries.get(id);
    return record ? presentRegistry(record) : { id };
  };
  return {
    id: policy.id,
    name: policy.name,
    description: policy.description,
    src_registry: await side(policy.srcRegistryId),
    dest_registry: await side(policy.destRegistryId),
    dest_namespace: policy.destNamespace,
    dest_namespace_replace_count: policy.destNamespaceReplaceCount,
    trigger: { type: policy.trigger.type, trigger_settings: { cron: policy.trigger.cron ?? '' } },
    filters: policy.filters,
    override: policy.override,
    deletion: policy.deletion,
    replicate_deletion: policy.deletion,
    enabled: policy.enabled,
    system_managed: policy.systemManaged,
    speed: -1,
    copy_by_chunk: false,
    creation_time: policy.createdAt,
    update_time: policy.updatedAt,
  };
}

async function policyOf(c: Context<AppEnv>, replicator: Replicator): Promise<PolicyRecord> {
  const policy = await replicator.policies.get(idParam(c, 'id'));
  if (!policy) throw apiError(404, 'NOT_FOUND', 'replication policy not found');
  return policy;
}

function refuseSystemManaged(policy: PolicyRecord): void {
  if (policy.systemManaged) throw apiError(412, 'PRECONDITION', `policy ${policy.name} is managed by the deployment's region topology; change the stage configuration instead`);
}

/** `/api/v2.0/replication/policies`. System admin only (Harbor's rule). */
export function replicationPolicyRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use(async (c, next) => {
    requireSysadmin(c);
    await next();
  });

  routes.post('/', async (c) => {
    const replicator = replicatorFor(c.get('deps'));
    const fields = await policyFields(replicator, await parseBody(c, policySchema));
    const policy = await replicator.policies.create(fields);
    if (!policy) throw apiError(409, 'CONFLICT', `a policy named ${fields.name} already exists`);
    await schedulePolicy(c.get('deps'), policy);
    c.header('Location', `/api/v2.0/replication/policies/${policy.id}`);
    return c.body(null, 201);
  });

  routes.get('/', async (c) => {
    const replicator = replicatorFor(c.get('deps'));
    const q = /^name=(~?)(.*)$/.exec(c.req.query('q') ?? '');
    const fragment = c.req.query('name');
    const all = (await replicator.policies.list()).filter(
      (p) => (q ? (q[1] ? p.name.includes(q[2]!) : p.name === q[2]) : true) && (fragment ? p.name.includes(fragment) : true),
    );
    return c.json(await Promise.all(paginate(c, all).map((p) => presentPolicy(c, replicator, p))));
  });

  routes.get('/:id', async (c) => {
    const replicator = replicatorFor(c.get('deps'));
    return c.json(await presentPolicy(c, replicator, await policyOf(c, replicator)));
  });

  routes.put('/:id', async (c) => {
    const replicator = replicatorFor(c.get('deps'));
    const current = await policyOf(c, replicator);
    refuseSystemManaged(current);
    const fields = await policyFields(replicator, await parseBody(c, policySchema));
    const updated = await replicator.policies.update(current, fields);
    if (!updated) throw apiError(409, 'CONFLICT', 'the name is taken, or the policy changed meanwhile');
    await schedulePolicy(c.get('deps'), updated);
    return c.body(null, 200);
  });

  routes.delete('/:id', async (c) => {
    const replicator = replicatorFor(c.get('deps'));
    const policy = await policyOf(c, replicator);
    refuseSystemManaged(policy);
    for (const execution of await replicator.executions.listExecutions()) {
      if (execution.policyId !== policy.id) continue;
      if ((await replicator.executions.summary(execution)).status === 'InProgress') {
        throw apiError(412, 'PRECONDITION', `policy ${policy.name} has a running execution; stop it first`);
      }
    }
    await replicator.policies.delete(policy);
    await schedulePolicy(c.get('deps'), { ...policy, enabled: false });
    return c.body(null, 200);
  });

  return routes;
}
