import { Stage, Tags, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { defaultEntryPoints, type EntryPoints } from '../config/entry-points.js';
import { validateStageConfig, type StageConfig } from '../config/stage-config.js';
import { addReplicationTopology } from '../constructs/replication-topology.js';
import { ApiStack } from '../stacks/api-stack.js';
import { StatefulStack } from '../stacks/stateful-stack.js';

const untaggedTypes = [
  'AWS::CloudWatch::Dashboard',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ApplicationAutoScaling::ScalableTarget',
] as const;

export interface BerthStageProps extends StageProps {
  readonly config: StageConfig;
  /** Source files to bundle; the repository's entry points unless a test or fork says otherwise. */
  readonly entryPoints?: EntryPoints;
}

/** The stacks of one region. */
export interface RegionStacks {
  readonly region: string;
  readonly stateful: StatefulStack;
  readonly api: ApiStack;
}

/**
 * One environment of Berth. Each of its regions gets a stateful stack and an API stack; regions
 * share nothing at deploy time and learn each other's names at run time (see stacks/discovery.ts).
 */
export class BerthStage extends Stage {
  readonly config: StageConfig;
  readonly regions: readonly RegionStacks[];

  constructor(scope: Construct, props: BerthStageProps) {
    const config = validateStageConfig(props.config);
    super(scope, config.name, props);
    this.config = config;
    const entryPoints = props.entryPoints ?? defaultEntryPoints;

    this.regions = config.regions.map((region) => {
      const env = { account: config.account, region };
      const stateful = new StatefulStack(this, `Stateful-${region}`, {
        env,
        config,
        description: `Berth ${config.name} ${region}: blobs, metadata, job queues, signing keys`,
        terminationProtection: config.retainData,
      });
      const api = new ApiStack(this, `Api-${region}`, {
        env,
        config,
        stateful,
        peerRegions: config.regions.filter((peer) => peer !== region),
        entryPoints,
        description: `Berth ${config.name} ${region}: registry API, upload service, workers, alarms`,
      });
      return { region, stateful, api };
    });

    addReplicationTopology(config, this.regions);

    // Tags go on every resource that takes them, except types whose Tags property is newer than
    // the cfn-lint schema these templates are checked with (it would flag them E3002).
    const tagOptions = { excludeResourceTypes: [...untaggedTypes] };
    Tags.of(this).add('app', 'berth', tagOptions);
    Tags.of(this).add('berth:stage', config.name, tagOptions);
  }
}
