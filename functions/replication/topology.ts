import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { AppDeps } from '../app-env.js';
import { ConfigError, type Config } from '../config.js';
import type { Identity } from '../identity/identity.js';
import { hashPassword } from '../identity/passwords.js';
import { partitions } from '../table-layout.js';
import type { Replicator } from './replicator.js';
import type { SecretBox } from './secret-box.js';

/** The account a region's upstream logs in with to push what it replicates. */
export const inboundUsername = 'replication';

/** A downstream region this region feeds, as the deployment describes it. */
export interface TopologyTarget {
  region: string;
  url: string;
  password: string;
  /** The region's blob bucket: blobs then go bucket to bucket (S3 copies), not through the worker. */
  bucket?: string;
}

/** What the deployment says about this region's place in the stage's topology. */
export interface ReplicationTopology {
  /** Regions this one copies every push to. */
  targets: TopologyTarget[];
  /** The password this region's upstream uses, when it has one. */
  inboundPassword?: string;
}

const targetsSchema = z.array(
  z.object({
    region: z.string().check(z.minLength(1)),
    url: z.url(),
    password: z.string().check(z.minLength(16)),
    bucket: z.optional(z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/))),
  }),
);

/**
 * Reads the topology the CDK app sets: BERTH_REPLICATION_TARGETS (JSON
 * `[{"region","url","password","bucket"}]`, the bucket optional, the passwords resolved by CloudFormation at deploy time) and
 * BERTH_REPLICATION_INBOUND_PASSWORD. Undefined when the region is in no topology; throws
 * ConfigError naming the variable when the targets do not parse.
 */
export function topologyFromConfig(config: Pick<Config, 'BERTH_REPLICATION_TARGETS' | 'BERTH_REPLICATION_INBOUND_PASSWORD'>): ReplicationTopology | undefined {
  const inboundPassword = config.BERTH_REPLICATION_INBOUND_PASSWORD;
  let targets: TopologyTarget[] = [];
  if (config.BERTH_REPLICATION_TARGETS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(config.BERTH_REPLICATION_TARGETS);
    } catch {
      throw new ConfigError('BERTH_REPLICATION_TARGETS is not JSON: a list of {"region","url","password"}');
    }
    const result = targetsSchema.safeParse(parsed);
    if (!result.success) throw new ConfigError(`BERTH_REPLICATION_TARGETS: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    targets = result.data;
  }
  if (!inboundPassword && targets.length === 0) return undefined;
  return { targets, ...(inboundPassword ? { inboundPassword } : {}) };
}

const fingerprintKey = { pk: `${partitions.replication}topology`, sk: 'inbound' };

/**
 * The receiving side: the `replication` account its upstream pushes with, a system admin (so
 * its first push into a project creates the project, as Harbor's replication creates projects at
 * the destination). Its password follows the deployment's secret; a fingerprint of the password
 * applied last spares a password hash on every start.
 */
export async function ensureInboundAccount(deps: AppDeps, identity: Identity, password: string): Promise<void> {
  const fingerprint = createHash('sha256').update(`berth-replication-inbound:${password}`).digest('hex');
  const applied = await deps.table.get(fingerprintKey);
  const user = await identity.users.get(inboundUsername);
  if (user && applied?.fingerprint === fingerprint) return;
  const passwordHash = await hashPassword(password);
  if (user) await identity.users.update(inboundUsername, { passwordHash, sysadmin: true });
  else {
    await identity.users.create({
      username: inboundUsername,
      email: `${inboundUsername}@berth.invalid`,
      realname: 'Replication from the upstream region',
      comment: 'managed by the deployment (region topology)',
      passwordHash,
      sysadmin: true,
      source: 'db',
      ldapDn: null,
      ldapGroups: [],
    });
  }
  await deps.table.put({ ...fingerprintKey, fingerprint });
}

/**
 * The sending side: one registry and one event-based push policy per downstream region, named
 * `region-<region>`, system-managed (the API refuses to change or delete them). Safe to run on
 * every start: what matches the deployment is left alone, what differs is brought in line.
 */
export async function ensureTopologyPolicies(replicator: Replicator, targets: readonly TopologyTarget[]): Promise<void> {
  const box = replicator.secretBox;
  if (!box) throw new Error('the region topology needs BERTH_REPLICATION_KEY to seal its credentials');
  for (const target of targets) {
    // The API and the worker both apply the topology when they start: a write that loses to the
    // other's reads again and finds the record in line (or brings it in line).
    for (let attempt = 1; !(await ensureTarget(replicator, box, target)); attempt++) {
      if (attempt === 5) throw new Error(`could not record the registry and policy of region ${target.region}`);
    }
  }
}

/** True once the target's registry and policy match the deployment; false when a write lost a race. */
async function ensureTarget(replicator: Replicator, box: SecretBox, target: TopologyTarget): Promise<boolean> {
  const name = `region-${target.region}`;
  const credential = { type: 'basic' as const, accessKey: inboundUsername, sealedSecret: await box.seal(target.password) };
  const storage = target.bucket ? { bucket: target.bucket, region: target.region } : undefined;
  let registry = await replicator.registries.getByName(name);
  if (!registry) {
    registry = await replicator.registries.create({
      name,
      type: 'harbor',
      url: target.url,
      insecure: target.url.startsWith('http:'),
      description: `the ${target.region} region of this stage`,
      credential,
      ...(storage ? { storage } : {}),
    });
  } else {
    const current = registry.credential ? await box.open(registry.credential.sealedSecret).catch(() => null) : null;
    const sameStorage = registry.storage?.bucket === storage?.bucket && registry.storage?.region === storage?.region;
    if (registry.url !== target.url || current !== target.password || !sameStorage) {
      const { storage: _old, ...kept } = registry;
      registry = await replicator.registries.update(kept, { url: target.url, insecure: target.url.startsWith('http:'), credential, ...(storage ? { storage } : {}) });
    }
  }
  if (!registry) return false;
  if (await replicator.policies.getByName(name)) return true;
  const policy = await replicator.policies.create({
    name,
    description: `every push here is copied to ${target.region} (region topology)`,
    srcRegistryId: null,
    destRegistryId: registry.id,
    destNamespace: '',
    destNamespaceReplaceCount: -1,
    trigger: { type: 'event_based' },
    filters: [],
    override: true,
    deletion: true,
    enabled: true,
    systemManaged: true,
  });
  return policy !== null;
}
