import type { BlobStoreLocation } from '../ports/blob-store.js';
import type { Item, Table } from '../ports/table.js';
import { replicationKeys } from './keys.js';
import { NamedRecords } from './named-records.js';

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
  /**
   * Where the registry keeps its blobs, when it is another region of this deployment (written
   * from the region topology, never through the API): blobs are then copied to it server-side.
   */
  storage?: BlobStoreLocation;
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
    ...(item.storage ? { storage: item.storage as unknown as BlobStoreLocation } : {}),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

function toItem(record: RegistryRecord): Item {
  const { storage, ...rest } = record;
  return { ...replicationKeys.registry(record.id), ...rest, ...(storage ? { storage: { bucket: storage.bucket, region: storage.region } } : {}) };
}

const layout = {
  counter: 'replication-registry',
  partition: replicationKeys.registries,
  record: replicationKeys.registry,
  name: replicationKeys.registryName,
  toRecord,
  toItem,
};

/** Remote registries; names are unique. */
export class RegistryStore extends NamedRecords<RegistryRecord> {
  constructor(table: Table, now: () => Date) {
    super(table, now, layout);
  }
}
