import { RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import { variableNames } from '../../functions/config.js';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { bucketDefinition } from '../../functions/adapters/aws/resource-definitions.js';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { replicationLinks } from '../config/replication-topology.js';
import type { StageConfig } from '../config/stage-config.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { RegionStacks } from '../stage/berth-stage.js';

/**
 * Secrets Manager name of the password region `to` accepts from its upstream. One of the few
 * physical names Berth sets: the upstream region reads the secret's replica by this name, in its
 * own region, at deploy time (a dynamic reference cannot cross regions; a replica is local).
 */
export function inboundSecretName(stage: string, to: string): string {
  return `berth/${stage}/replication/inbound-${to}`;
}

export const replicationEnvNames = {
  key: variableNames.BERTH_REPLICATION_KEY,
  targets: variableNames.BERTH_REPLICATION_TARGETS,
  inboundPassword: variableNames.BERTH_REPLICATION_INBOUND_PASSWORD,
} as const;

function functionsOf(region: RegionStacks): LambdaFunction[] {
  return [region.api.apiFunction.function, region.api.worker.handler.function, region.api.longWorker.handler.function];
}

/**
 * The stage's region topology as deployed resources. Every region gets a credential key (the
 * AES-GCM key sealing remote registry credentials, kept with the region's data). For each link
 * `from → to`: `to` generates the password of its `replication` account in a secret replicated
 * to `from`; `from`'s functions learn `to`'s URL and that password, and on start write the
 * system-managed, event-based policy that copies every push onward. `from` deploys after `to`,
 * whose secret replica it reads.
 */
export function addReplicationTopology(config: StageConfig, regions: readonly RegionStacks[]): void {
  const topology = config.replication;
  if (!topology || !config.domain) return;
  const byName = new Map(regions.map((region) => [region.region, region]));
  for (const region of regions) {
    const key = new Secret(region.stateful, 'ReplicationKey', {
      description: 'Berth: key sealing the credentials of remote registries (replication)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    acknowledge(key, { id: 'AwsSolutions-SMG4', reason: 'Not rotated: it seals stored registry credentials, which a new key could no longer open.' });
    for (const fn of functionsOf(region)) fn.addEnvironment(replicationEnvNames.key, key.secretValue.unsafeUnwrap());
  }
  const targets = new Map<string, { region: string; url: string; password: string; bucket: string }[]>();
  for (const link of replicationLinks(config.regions, topology)) {
    const from = byName.get(link.from)!;
    const to = byName.get(link.to)!;
    // The password, generated, and the name of `to`'s blob bucket, so that `from` copies blobs
    // bucket to bucket: both reach `from` through the replica, in its own region.
    const inbound = new Secret(to.api, 'ReplicationInbound', {
      secretName: inboundSecretName(config.name, link.to),
      description: `Berth: password ${link.from} pushes replicated images to ${link.to} with, and ${link.to}'s blob bucket`,
      generateSecretString: {
        passwordLength: 40,
        excludePunctuation: true,
        secretStringTemplate: Stack.of(to.api).toJsonString({ bucket: to.stateful.blobs.bucket.bucketName }),
        generateStringKey: 'password',
      },
      replicaRegions: [{ region: link.from }],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(inbound, { id: 'AwsSolutions-SMG4', reason: 'Not rotated by Secrets Manager: both regions read it at deploy time; a redeploy after changing it updates both sides.' });
    for (const fn of functionsOf(to)) fn.addEnvironment(replicationEnvNames.inboundPassword, inbound.secretValueFromJson('password').unsafeUnwrap());
    // The replica in the upstream's own region, by name: resolved when `from` deploys.
    const field = (jsonField: string) => SecretValue.secretsManager(inboundSecretName(config.name, link.to), { jsonField }).unsafeUnwrap();
    targets.set(link.from, [...(targets.get(link.from) ?? []), { region: link.to, url: `https://${link.to}.${config.domain.zoneName}`, password: field('password'), bucket: field('bucket') }]);
    // Replication tasks run on the long-job worker: it copies blobs into `to`'s bucket (CopyObject
    // is s3:PutObject on the target). IAM cannot name that bucket here (its name reaches this
    // region only as a dynamic reference, resolved at deploy time), so the grant is narrowed by
    // what is written instead: only copies, only of this region's own blobs, only into this account.
    const ownBucket = from.stateful.blobs.bucket.bucketName;
    const copies = new Policy(from.api, `BlobCopiesTo-${link.to}`, {
      statements: [
        new PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [`arn:${Stack.of(from.api).partition}:s3:::*/${bucketDefinition.blobPrefix}*`],
          conditions: {
            StringEquals: { 's3:ResourceAccount': Stack.of(from.api).account },
            StringLike: { 's3:x-amz-copy-source': `${ownBucket}/${bucketDefinition.blobPrefix}*` },
          },
        }),
      ],
    });
    copies.attachToRole(from.api.longWorker.handler.function.role!);
    acknowledge(copies, {
      id: `AwsSolutions-IAM5[Resource::arn:${Stack.of(from.api).partition}:s3:::*/${bucketDefinition.blobPrefix}*]`,
      reason: `Copies into ${link.to}'s bucket, whose name is only known at deploy time: restricted to copies of this region's own blobs (s3:x-amz-copy-source) into this account's buckets (s3:ResourceAccount).`,
    });
    from.api.addStackDependency(to.api, 'reads the inbound password replica of the region it feeds');
  }
  for (const [name, list] of targets) {
    const region = byName.get(name)!;
    // toJsonString keeps the dynamic references intact inside the JSON (CloudFormation resolves them).
    for (const fn of functionsOf(region)) fn.addEnvironment(replicationEnvNames.targets, Stack.of(region.api).toJsonString(list));
  }
}
