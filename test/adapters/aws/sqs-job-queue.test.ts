import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll } from 'vitest';
import { createQueues } from '../../../functions/adapters/aws/create-resources.js';
import { DynamoDbTable } from '../../../functions/adapters/aws/dynamodb-table.js';
import { relayStreamRecords } from '../../../functions/adapters/aws/outbox.js';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { parseJob } from '../../../functions/core/jobs.js';
import { sqsBatchHandler } from '../../../functions/worker/sqs-batch.js';
import { describeJobQueueContract } from '../../ports/job-queue.contract.js';
import { type MotoStack, startMotoStack } from '../../support/aws-stack.js';
import { StreamReader } from '../../support/dynamodb-stream.js';
import { peekAll, SqsEventSource } from '../../support/sqs-event-source.js';

let stack: Promise<MotoStack> | undefined;
afterAll(async () => {
  await (await stack)?.stop();
});

const maxReceiveCount = 3;
const logger = new Logger({ serviceName: 'berth-worker-test', logLevel: 'CRITICAL' });

describeJobQueueContract('SqsJobQueue on moto, outbox relayed from the DynamoDB stream, worker via the SQS event source', async (handler) => {
  stack ??= startMotoStack();
  const { clients, resources, env } = await stack;
  const queues = await createQueues(clients.sqs, `contract-${randomUUID().slice(0, 8)}`, { maxReceiveCount });
  const source = new SqsEventSource(clients.sqs, queues.queueUrl, sqsBatchHandler(handler, logger));
  const queue = new SqsJobQueue(clients.sqs, queues.queueUrl);
  const table = new DynamoDbTable(clients.document, resources.table);
  const stream = new StreamReader(clients.dynamodb, resources.table, env);
  // The stream holds every test's writes to the shared table: start after what is there now.
  await stream.read();
  return {
    queue,
    table,
    maxAttempts: maxReceiveCount,
    settle: async () => {
      // What the relay Lambda does with the stream, then what the worker Lambda does with SQS.
      const records = await stream.read();
      const failed = await relayStreamRecords(records, table, (job) => queue.enqueue(job));
      if (failed.length > 0) throw new Error(`relay failed for ${failed.length} records`);
      await source.drain();
    },
    deadLetters: async () =>
      (await peekAll(clients.sqs, queues.deadLetterQueueUrl)).map((message) => parseJob(JSON.parse(message.Body!))),
    cleanup: async () => {
      stream.destroy();
    },
  };
});
