import type { Job, JobKind, RegistryEvent } from './core/jobs.js';
import type { Item } from './ports/table.js';

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
}
