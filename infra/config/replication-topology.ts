/**
 * How the regions of a stage feed each other. Pushes go to the primary; every other region gets
 * its images from exactly one upstream region (the primary by default: a star), so the regions
 * form a tree rooted at the primary: `us-east-1 → eu-west-1 → ap-southeast-2` is a chain,
 * `{ 'eu-west-1': 'us-east-1', 'ap-southeast-2': 'us-east-1' }` a star.
 */
export interface ReplicationTopologyConfig {
  /** The region clients push to. */
  readonly primary: string;
  /** Each replica region and the region it replicates from; replicas left out feed from the primary. */
  readonly upstreams?: Readonly<Record<string, string>>;
}

/** One system-managed, event-based replication policy: every push in `from` is copied to `to`. */
export interface ReplicationLink {
  readonly from: string;
  readonly to: string;
}

/** Problems with a topology, in words naming the field; empty when it can deploy. */
export function topologyProblems(regions: readonly string[], topology: ReplicationTopologyConfig): string[] {
  const problems: string[] = [];
  if (!regions.includes(topology.primary)) problems.push(`replication.primary "${topology.primary}" is not one of the stage's regions`);
  for (const [replica, upstream] of Object.entries(topology.upstreams ?? {})) {
    if (!regions.includes(replica)) problems.push(`replication.upstreams names "${replica}", which is not one of the stage's regions`);
    if (!regions.includes(upstream)) problems.push(`replication.upstreams["${replica}"] = "${upstream}" is not one of the stage's regions`);
    if (replica === topology.primary) problems.push(`replication.upstreams must not give the primary "${replica}" an upstream`);
  }
  if (problems.length > 0) return problems;
  for (const region of regions) {
    // Walk up from each region: it must reach the primary without passing a region twice.
    const seen = new Set<string>();
    let at = region;
    while (at !== topology.primary) {
      if (seen.has(at)) {
        problems.push(`replication.upstreams has a cycle through "${at}": every region must lead to the primary`);
        break;
      }
      seen.add(at);
      at = topology.upstreams?.[at] ?? topology.primary;
    }
  }
  return problems;
}

/** The links of a valid topology, parents before children (the order images flow in). */
export function replicationLinks(regions: readonly string[], topology: ReplicationTopologyConfig): ReplicationLink[] {
  const upstreamOf = (region: string) => topology.upstreams?.[region] ?? topology.primary;
  const depth = (region: string): number => (region === topology.primary ? 0 : 1 + depth(upstreamOf(region)));
  return regions
    .filter((region) => region !== topology.primary)
    .sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))
    .map((region) => ({ from: upstreamOf(region), to: region }));
}
