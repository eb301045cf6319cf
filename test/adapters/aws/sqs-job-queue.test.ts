import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll } from 'vitest';
import { createQueues } from '../../../functions/adapters/aws/create-resources.js';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { parseJob } from '../../../functions/core/jobs.js';
import { sqsBatchHandler } from '../../../functions/worker/sqs-batch.js';
import { describeJobQueueContract } from '../../ports/job-queue.contract.js';
import { type MotoStack, startMotoStack } from '../../support/aws-stack.js';
import { peekAll, SqsEventSource } from '../../support/sqs-event-source.js';

let stack: Promise<MotoStack> | undefined;
afterAll(async () => {
  await (await stack)?.stop();
});

const maxReceiveCount = 3;
const logger = new Logger({ serviceName: 'berth-worker-test', logLevel: 'CRITICAL' });

describeJobQueueContract('SqsJobQueue on moto, worker via the SQS event source', async (handler) => {
  stack ??= startMotoStack();
  const { clients } = await stack;
  const queues = await createQueues(clients.sqs, `contract-${randomUUID().slice(0, 8)}`, { maxReceiveCount });
  const source = new SqsEventSource(clients.sqs, queues.queueUrl, sqsBatchHandler(handler, logger));
  return {
    queue: new SqsJobQueue(clients.sqs, queues.queueUrl),
    maxAttempts: maxReceiveCount,
    settle: async () => {
      await source.drain();
    },
    deadLetters: async () =>
      (await peekAll(clients.sqs, queues.deadLetterQueueUrl)).map((message) => parseJob(JSON.parse(message.Body!))),
    cleanup: async () => {},
  };
});
