import { nextId } from '../identity/stores/counter.js';
import { ConditionFailedError, type Item, type Table, type WriteOp } from '../ports/table.js';
import { replicationKeys } from './keys.js';

export type RegistryType = 'harbor' | 'docker-registry';

/** A remote registry as stored: its credential's secret is sealed (see SecretBox). */
export interface RegistryRecord {
  id: number;
  name: string;
  type: RegistryType;
  url: string;
  /** Plain HTTP allowed, and TLS certificates not verified (Harbor's "insecure"). */
  insecure: boolean;
  description: string;
  credential: { type: 'basic' | 'robot'; accessKey: string; sealedSecret: string } | null;
  createdAt: string;
  updatedAt: string;
}

function toRecord(item: Item): RegistryRecord {
  return {
    id: item.id as number,
    name: item.name as string,
    type: item.type as RegistryType,
    url: item.url as string,
    insecure: item.insecure === true,
    description: (item.description as string) ?? '',
    credential: (item.credential as RegistryRecord['credential']) ?? null,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

function toItem(record: RegistryRecord): Item {
  return { ...replicationKeys.registry(record.id), ...record };
}

/** Remote registries; names are unique (claimed by an item written in the same transaction). */
export class RegistryStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
  ) {}

  async get(id: number): Promise<RegistryRecord | null> {
    const item = await this.table.get(replicationKeys.registry(id));
    return item ? toRecord(item) : null;
  }

  async list(): Promise<RegistryRecord[]> {
    return (await this.table.query(replicationKeys.registries)).map(toRecord);
  }

  /** The new record, or null when the name is taken. */
  async create(fields: Omit<RegistryRecord, 'id' | 'createdAt' | 'updatedAt'>): Promise<RegistryRecord | null> {
    const id = await nextId(this.table, 'replication-registry');
    const now = this.now().toISOString();
    const record: RegistryRecord = { ...fields, id, createdAt: now, updatedAt: now };
    try {
      await this.table.transact([
        { put: { ...replicationKeys.registryName(record.name), id }, condition: { exists: false } },
        { put: toItem(record), condition: { exists: false } },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return record;
  }

  /** Writes the changed record; false when a rename hits a taken name or it changed meanwhile. */
  async update(current: RegistryRecord, changes: Partial<Omit<RegistryRecord, 'id' | 'createdAt' | 'updatedAt'>>): Promise<RegistryRecord | null> {
    const next: RegistryRecord = { ...current, ...changes, updatedAt: this.now().toISOString() };
    const ops: WriteOp[] = [{ put: toItem(next), condition: { equals: { updatedAt: current.updatedAt } } }];
    if (next.name !== current.name) {
      ops.push(
        { put: { ...replicationKeys.registryName(next.name), id: next.id }, condition: { exists: false } },
        { delete: replicationKeys.registryName(current.name) },
      );
    }
    try {
      await this.table.transact(ops);
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
    return next;
  }

  async delete(record: RegistryRecord): Promise<void> {
    await this.table.transact([{ delete: replicationKeys.registry(record.id) }, { delete: replicationKeys.registryName(record.name) }]);
  }
}
