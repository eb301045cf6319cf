import { createResources } from '../functions/adapters/aws/create-resources.js';
import { bucketDefinition, longQueueDefinition, queueDefinition, tableDefinition } from '../functions/adapters/aws/resource-definitions.js';
import { createAwsClients } from '../functions/entry/aws-clients.js';
import { loadConfig } from '../functions/config.js';

/**
 * `npm run aws:bootstrap`: creates Berth's bucket, table and queues on a local AWS endpoint
 * (LocalStack, moto) from the definitions the CDK app uses, and prints the environment that
 * `BERTH_BACKEND=aws npm start` and the upload service read. Idempotent.
 *
 *   AWS_ENDPOINT_URL   required: this script never touches a real account
 *   BERTH_BUCKET       default berth-blobs
 *   BERTH_TABLE        default berth
 *   BERTH_QUEUE_NAME   default berth-jobs (its dead-letter queue: <name>-dlq; the long-job queue: <name>-long)
 *
 * `--definitions` prints the resource definitions as JSON instead (localstack/resource-definitions.json,
 * which the LocalStack init hook reads, is this output).
 */
const env = process.env;
if (process.argv.includes('--definitions')) {
  console.log(JSON.stringify({ table: tableDefinition, bucket: bucketDefinition, queue: queueDefinition, longQueue: longQueueDefinition }, null, 2));
  process.exit(0);
}
if (!env.AWS_ENDPOINT_URL) {
  console.error('AWS_ENDPOINT_URL must name a local endpoint (e.g. http://127.0.0.1:4566 for LocalStack)');
  process.exit(2);
}
const clients = createAwsClients(loadConfig({
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  ...env,
}));
const created = await createResources(clients, {
  bucket: env.BERTH_BUCKET || 'berth-blobs',
  table: env.BERTH_TABLE || 'berth',
  queue: env.BERTH_QUEUE_NAME || 'berth-jobs',
});
console.log(
  [
    `export AWS_ENDPOINT_URL=${env.AWS_ENDPOINT_URL}`,
    `export BERTH_BUCKET=${created.bucket}`,
    `export BERTH_TABLE=${created.table}`,
    `export BERTH_QUEUE_URL=${created.queueUrl}`,
    `export BERTH_LONG_QUEUE_URL=${created.longQueueUrl}`,
    `# dead-letter queues: ${created.deadLetterQueueUrl} ${created.longDeadLetterQueueUrl}`,
  ].join('\n'),
);
for (const client of [clients.s3, clients.dynamodb, clients.sqs]) client.destroy();
