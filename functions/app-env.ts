import type { Context } from 'hono';
import type { Capability } from './capability.js';
import type { Identity } from './identity/identity.js';
import type { AuditLog } from './lifecycle/audit-log.js';
import type { PullRecorder } from './lifecycle/pull-stats.js';
import type { Principal } from './identity/principal.js';
import type { BlobStore } from './ports/blob-store.js';
import type { BlobLinks } from './registry/blob-links.js';
import type { Manifests } from './registry/manifests.js';
import type { PullGates } from './registry/pull-gates.js';
import type { Uploads } from './registry/uploads.js';
import type { JobQueue } from './ports/job-queue.js';
import type { Metrics } from './ops/metrics.js';
import type { Table } from './ports/table.js';
import type { StreamingFastPath } from './routes/v2/http.js';
import type { V2Match } from './routes/v2/route-table.js';
import type { RegistryConfig } from './registry/registry-deps.js';

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
  /** Where the runtime's metrics go (Prometheus on Node, CloudWatch on Lambda); none in tests. */
  metrics?: Metrics;
  /** The runtime's streaming fast path (the Node entry points give adapters/node/node-streams.ts). */
  fastPath?: StreamingFastPath;
  /** The capabilities beside the registry (entry/compose.ts); their pull gates guard manifest GETs. */
  capabilities?: readonly Capability[];
  /** Counts manifest GETs in memory and flushes them (lifecycle/pull-stats.ts); absent: not counted. */
  pulls?: PullRecorder;
  /** Where logins and management API changes are recorded (lifecycle/audit-log.ts). */
  audit?: AuditLog;
}

/** The Hono environment every route sees. */
export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    /** Path parameters of the matched v2 route (name, reference, digest, uuid). */
    params: Record<string, string>;
    registry: { uploads: Uploads; manifests: Manifests; links: BlobLinks; pullGates: PullGates };
    /** The v2 route the access layer matched (the dispatcher reuses it). */
    v2Match?: V2Match;
    /** The matched route for logs and metrics (v2: the spec's endpoint id). */
    route?: string;
    /** Set by completeResponse: a response that already carries every header, and its body's size. */
    complete?: { response: Response; bytes: number };
    /** Set when a response went out through the fast path: what was sent. */
    sent?: { status: number; bytes?: number };
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
