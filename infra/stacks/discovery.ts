/**
 * Regions of a stage find each other through SSM parameters at a known path, because the
 * generated names of a peer's bucket, table and queue only exist once that peer is deployed.
 * The path is the one physical name Berth sets: a lookup key, not a resource that could need
 * replacing.
 */
export function discoveryParameterName(stage: string, region: string, part: 'stateful' | 'api'): string {
  return `${discoveryParameterPrefix(stage)}/${region}/${part}`;
}

/** Parent path of every region's discovery parameters in a stage. */
export function discoveryParameterPrefix(stage: string): string {
  return `/berth/${stage}/regions`;
}
