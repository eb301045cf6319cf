import { randomUUID } from 'node:crypto';
import { type CreatedResources, createResources } from '../../functions/adapters/aws/create-resources.js';
import { type AwsClients, createAwsClients } from '../../functions/entry/aws-clients.js';
import { loadConfig } from '../../functions/config.js';
import { type Moto, startMoto } from './moto.js';

/**
 * An AWS API endpoint with Berth's bucket, table and queues created on it, for one test file: a
 * moto_server of its own, or the endpoint named by BERTH_TEST_AWS_ENDPOINT (LocalStack, see
 * localstack/README.md), where each test file creates uniquely named resources.
 */
export interface MotoStack {
  moto: Moto;
  clients: AwsClients;
  resources: CreatedResources;
  /** The environment `createAwsDeps` reads, pointing at this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startMotoStack(
  overrides: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<MotoStack> {
  const external = process.env.BERTH_TEST_AWS_ENDPOINT;
  const moto: Moto = external
    ? {
        endpoint: external,
        port: Number(new URL(external).port),
        env: {
          AWS_ENDPOINT_URL: external,
          AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
          AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
          AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
        },
        stop: async () => {},
      }
    : await startMoto();
  try {
    const clients = createAwsClients(loadConfig(moto.env));
    const suffix = randomUUID().slice(0, 8);
    const resources = await createResources(
      clients,
      { bucket: `berth-test-${suffix}`, table: `berth-test-${suffix}`, queue: `berth-test-${suffix}` },
      overrides,
    );
    const env = {
      ...moto.env,
      BERTH_BUCKET: resources.bucket,
      BERTH_TABLE: resources.table,
      BERTH_QUEUE_URL: resources.queueUrl,
      BERTH_LONG_QUEUE_URL: resources.longQueueUrl,
    };
    return {
      moto,
      clients,
      resources,
      env,
      stop: async () => {
        for (const client of [clients.s3, clients.dynamodb, clients.sqs]) client.destroy();
        await moto.stop();
      },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}
