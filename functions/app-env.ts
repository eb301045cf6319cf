import type { Context } from 'hono';
import type { Capability } from './capability.js';
import type { Identity } from './identity/identity.js';
import type { Principal } from './identity/principal.js';
import type { BlobStore } from './ports/blob-store.js';
import type { BlobLinks } from './registry/blob-links.js';
import type { Manifests } from './registry/manifests.js';
import type { PullGates } from './registry/pull-gates.js';
import type { Uploads } from './registry/uploads.js';
import type { JobQueue } from './ports/job-queue.js';
import type { Table } from './ports/table.js';

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
}

export const defaultRegistryConfig: RegistryConfig = {
  downloadUrlTtlSeconds: 300,
  uploadSessionTtlSeconds: 24 * 60 * 60,
};

/** Everything the app needs from the outside world; only entry points build these. */
export interface AppDeps {
  blobs: BlobStore;
  table: Table;
  queue: JobQueue;
  config: RegistryConfig;
  /** Clock and id source, replaceable in tests. */
  now?: () => Date;
  /** Users, projects, tokens and RBAC. Absent: the registry is open to anyone (the embedded default). */
  identity?: Identity;
  /** The address of the request's peer as the runtime saw it (socket, API Gateway `sourceIp`); entry points inject it. */
  peerAddress?: (c: Context<AppEnv>) => string | undefined;
  /** The capabilities beside the registry (entry/compose.ts); their pull gates guard manifest GETs. */
  capabilities?: readonly Capability[];
}

/** The Hono environment every route sees. */
export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    /** Path parameters of the matched v2 route (name, reference, digest, uuid). */
    params: Record<string, string>;
    registry: { uploads: Uploads; manifests: Manifests; links: BlobLinks; pullGates: PullGates };
    /** Who is calling, for audit events; set by the access layer when there is one. */
    actor?: string;
    /** The authenticated caller, when identity is on. */
    principal?: Principal;
    /** May the caller pull from this repository? (mounts from another repository ask it). */
    canPull?: (repository: string) => Promise<boolean>;
    /** May the caller move an existing tag? (immutable tags answer no). */
    canOverwriteTag?: (repository: string, tag: string) => Promise<boolean>;
    /** Set when the request carried a valid upload-service token for its session. */
    uploadTokenValid?: boolean;
  };
}
