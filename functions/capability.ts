import type { Job, JobKind, RegistryEvent } from './core/jobs.js';
import type { Item, WriteOp } from './ports/table.js';

/** The handlers of the job kinds a capability owns. */
export type JobHandlers = { [K in JobKind]?: (job: Extract<Job, { kind: K }>) => Promise<void> };

/** What a pull gate is asked about one manifest GET. */
export interface PullGateInput {
  /** The project (first path component) and its metadata, Harbor's string-valued keys. */
  project: string;
  metadata: Readonly<Record<string, string>>;
  repository: string;
  digest: string;
  /** Every summary stored for the manifest, by capability name (ArtifactSummaries). */
  summaries: Readonly<Record<string, Item>>;
}

/** Why a pull is refused: answered as 412 PROJECTPOLICYVIOLATION with this message. */
export interface PolicyViolation {
  message: string;
  detail?: Record<string, unknown>;
}

/**
 * A capability beside the registry (replication, scanning, trust, lifecycle, ...), as the
 * composition root (entry/compose.ts) wires it: the jobs it handles, the registry events it
 * consumes, and the pull policy it enforces. Capabilities never call each other through this;
 * they share the table and the events.
 */
export interface Capability {
  /** Unique; also the de-duplication key of its event deliveries and its summaries' name. */
  name: string;
  /** Handlers of the job kinds it owns (each kind owned by one capability). Idempotent. */
  jobs?: JobHandlers;
  /**
   * Called with every registry event at least once (once in the normal case: dispatch records
   * each delivery by event id). Throwing retries the event for this capability only.
   */
  onEvent?: (event: RegistryEvent) => Promise<void>;
  /**
   * A policy that can refuse a manifest GET. Asked only when the project's metadata sets one of
   * `metadataKeys` to "true"; decides from the summaries stored with the artifact, never by
   * recomputing anything on the pull path.
   */
  pullGate?: {
    metadataKeys: readonly string[];
    check(input: PullGateInput): PolicyViolation | null;
  };
  /**
   * Refuses moving or deleting an existing tag (immutable tags): the reason, or null to allow.
   * Asked by the registry's manifest store on every tag move and delete, whoever the writer.
   */
  tagGuard?: (repository: string, tag: string) => Promise<string | null>;
  /**
   * Writes added to the transaction that links a blob into a repository (upload or mount), so
   * what they account for (quota usage) commits with the link or not at all. Throws an OciError
   * to refuse the link before any bytes become visible; when one of its conditions fails, the
   * registry calls it again after a fresh read.
   */
  linkOps?: (repository: string, digest: string, size: number) => Promise<WriteOp[]>;
  /**
   * Fields this capability adds to the management API's view of an artifact (Harbor's
   * `scan_overview`, `accessories`), read from what it stored; absent when it has nothing.
   */
  artifactExtras?: (repository: string, digest: string) => Promise<Record<string, unknown>>;
}
