import { nextId } from '../identity/stores/counter.js';
import { ConditionFailedError, type Item, type Table, type WriteOp } from '../ports/table.js';
import type { PolicyFilter } from './filters.js';
import { replicationKeys } from './keys.js';

export type TriggerType = 'manual' | 'scheduled' | 'event_based';

/**
 * A replication policy. Exactly one side is a remote registry: `srcRegistryId` set is pull mode
 * (remote → this Berth), `destRegistryId` set is push mode (this Berth → remote).
 */
export interface PolicyRecord {
  id: number;
  name: string;
  description: string;
  srcRegistryId: number | null;
  destRegistryId: number | null;
  destNamespace: string;
  destNamespaceReplaceCount: number;
  trigger: { type: TriggerType; cron?: string };
  filters: PolicyFilter[];
  override: boolean;
  deletion: boolean;
  enabled: boolean;
  /** Written by the deployment (region topology), not by users: the API refuses to change it. */
  systemManaged: boolean;
  createdAt: string;
  updatedAt: string;
}

function toRecord(item: Item): PolicyRecord {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as PolicyRecord;
}

function toItem(record: PolicyRecord): Item {
  return { ...replicationKeys.policy(record.id), ...(JSON.parse(JSON.stringify(record)) as Record<string, never>) };
}

export class PolicyStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
  ) {}

  async get(id: number): Promise<PolicyRecord | null> {
    const item = await this.table.get(replicationKeys.policy(id));
    return item ? toRecord(item) : null;
  }

  async getByName(name: string): Promise<PolicyRecord | null> {
    const claim = await this.table.get(replicationKeys.policyName(name));
    return claim ? this.get(claim.id as number) : null;
  }

  async list(): Promise<PolicyRecord[]> {
    return (await this.table.query(replicationKeys.policies)).map(toRecord);
  }

  /** The new policy, or null when its name is taken. */
  async create(fields: Omit<PolicyRecord, 'id' | 'createdAt' | 'updatedAt'>): Promise<PolicyRecord | null> {
    const id = await nextId(this.table, 'replication-policy');
    const now = this.now().toISOString();
    const record: PolicyRecord = { ...fields, id, createdAt: now, updatedAt: now };
    try {
      await this.table.transact([
        { put: { ...replicationKeys.policyName(record.name), id }, condition: { exists: false } },
        { put: toItem(record), condition: { exists: false } },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return record;
  }

  /** The updated policy; null when a rename hits a taken name or it changed meanwhile. */
  async update(current: PolicyRecord, changes: Partial<Omit<PolicyRecord, 'id' | 'createdAt' | 'updatedAt'>>): Promise<PolicyRecord | null> {
    const next: PolicyRecord = { ...current, ...changes, updatedAt: this.now().toISOString() };
    const ops: WriteOp[] = [{ put: toItem(next), condition: { equals: { updatedAt: current.updatedAt } } }];
    if (next.name !== current.name) {
      ops.push({ put: { ...replicationKeys.policyName(next.name), id: next.id }, condition: { exists: false } }, { delete: replicationKeys.policyName(current.name) });
    }
    try {
      await this.table.transact(ops);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return next;
  }

  async delete(record: PolicyRecord): Promise<void> {
    await this.table.transact([{ delete: replicationKeys.policy(record.id) }, { delete: replicationKeys.policyName(record.name) }]);
  }

  /** Whether any policy names this registry (it may not be deleted then). */
  async usesRegistry(registryId: number): Promise<boolean> {
    return (await this.list()).some((p) => p.srcRegistryId === registryId || p.destRegistryId === registryId);
  }
}
