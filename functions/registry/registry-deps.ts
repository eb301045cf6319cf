import type { BlobStore } from '../ports/blob-store.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Table } from '../ports/table.js';
import type { ReplicationTopology } from '../replication/topology.js';

/** How this deployment of the registry behaves; each entry point fills it from its own settings. */
export interface RegistryConfig {
  /**
   * Largest request body this runtime can take (API Gateway + Lambda: about 6 MB after base64).
   * Undefined means unlimited (the Node server and the upload service).
   */
  maxRequestBytes?: number;
  /**
   * Absolute base URL of the upload service (`https://uploads.example.com`). When set, upload
   * sessions are handed to it: `POST .../blobs/uploads/` answers a Location on that host.
   */
  uploadServiceUrl?: string;
  /**
   * Secret that signs upload-service tokens (see core/upload-token.ts). Required with
   * `uploadServiceUrl`; the Lambda API and the upload service must share it.
   */
  uploadTokenSecret?: Uint8Array;
  /** Seconds a presigned blob download URL stays valid. */
  downloadUrlTtlSeconds: number;
  /** Seconds an idle upload session lives before it expires. */
  uploadSessionTtlSeconds: number;
  /**
   * Proxies in front of the server that append the address they saw to X-Forwarded-For (0: none,
   * and the header is ignored). See routes/client-address.ts.
   */
  trustedProxyHops?: number;
  /** Key sealing remote registry credentials (BERTH_REPLICATION_KEY). */
  replicationKey?: string;
  /** This region's place in the stage's region topology (replication/topology.ts). */
  replicationTopology?: ReplicationTopology;
  /** Seconds a web UI session lasts from login (default 8 hours). See ui/session-store.ts. */
  sessionLifetimeSeconds?: number;
}

export const defaultRegistryConfig: RegistryConfig = {
  downloadUrlTtlSeconds: 300,
  uploadSessionTtlSeconds: 24 * 60 * 60,
};

/** What the registry's domain classes (Uploads, Manifests) need: the ports, the settings, a clock. */
export interface RegistryDeps {
  table: Table;
  blobs: BlobStore;
  queue: JobQueue;
  config: RegistryConfig;
  /** Clock and id source, replaceable in tests. */
  now?: () => Date;
}
