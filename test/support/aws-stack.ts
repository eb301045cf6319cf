import { randomUUID } from 'node:crypto';
import { type CreatedResources, createResources } from '../../functions/adapters/aws/create-resources.js';
import { type AwsClients, createAwsClients } from '../../functions/entry/aws-clients.js';
import { type Moto, startMoto } from './moto.js';

/** A moto_server with Berth's bucket, table and queues created on it, for one test file. */
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
  const moto = await startMoto();
  try {
    const clients = createAwsClients(moto.env);
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
