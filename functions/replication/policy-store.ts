import type { Item, Table } from '../ports/table.js';
import type { PolicyFilter } from './filters.js';
import { replicationKeys } from './keys.js';
import { NamedRecords } from './named-records.js';

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

const layout = {
  counter: 'replication-policy',
  partition: replicationKeys.policies,
  record: replicationKeys.policy,
  name: replicationKeys.policyName,
  toRecord,
  toItem,
};

/** Replication policies; names are unique. */
export class PolicyStore extends NamedRecords<PolicyRecord> {
  constructor(table: Table, now: () => Date) {
    super(table, now, layout);
  }

  /** Whether any policy names this registry (it may not be deleted then). */
  async usesRegistry(registryId: number): Promise<boolean> {
    return (await this.list()).some((p) => p.srcRegistryId === registryId || p.destRegistryId === registryId);
  }
}
