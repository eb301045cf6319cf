import type { Capability, PolicyViolation } from '../capability.js';
import { OciError } from '../core/errors.js';
import type { Identity } from '../identity/identity.js';
import { projectOf } from '../identity/stores/project-store.js';
import type { Table } from '../ports/table.js';
import { ArtifactSummaries } from './artifact-summaries.js';

/** How long a project's metadata is trusted from memory: a policy turned on applies within this. */
const metadataTtlMs = 5_000;

/**
 * The pull policies of the capabilities (vulnerability prevention, content trust), asked on every
 * manifest GET. A project with none of them on costs one lookup in a small in-memory cache of
 * project metadata; one with a policy on adds one query (the artifact's stored summaries). No
 * policy recomputes anything here: capabilities store their verdicts when their inputs change.
 */
export class PullGates {
  private readonly gates: NonNullable<Capability['pullGate']>[];
  private readonly summaries: ArtifactSummaries;
  private readonly cache = new Map<string, { metadata: Record<string, string>; until: number }>();

  constructor(
    capabilities: readonly Capability[],
    table: Table,
    private readonly identity: Identity | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.gates = capabilities.flatMap((capability) => (capability.pullGate ? [capability.pullGate] : []));
    this.summaries = new ArtifactSummaries(table);
  }

  /** Throws 412 PROJECTPOLICYVIOLATION when a policy of the repository's project refuses the pull. */
  async check(repository: string, digest: string): Promise<void> {
    if (this.gates.length === 0 || !this.identity) return;
    const project = projectOf(repository);
    const metadata = await this.metadataOf(project);
    const active = this.gates.filter((gate) => gate.metadataKeys.some((key) => metadata[key] === 'true'));
    if (active.length === 0) return;
    const summaries = await this.summaries.all(repository, digest);
    for (const gate of active) {
      const violation = gate.check({ project, metadata, repository, digest, summaries });
      if (violation) throw policyViolation(violation);
    }
  }

  private async metadataOf(project: string): Promise<Record<string, string>> {
    const cached = this.cache.get(project);
    if (cached && cached.until > this.now()) return cached.metadata;
    const found = await this.identity!.projects.get(project);
    const metadata = found?.metadata ?? {};
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(project, { metadata, until: this.now() + metadataTtlMs });
    return metadata;
  }
}

function policyViolation(violation: PolicyViolation): OciError {
  return new OciError('PROJECTPOLICYVIOLATION', violation.message, violation.detail);
}
