import { randomBytes, randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues } from '../../../functions/adapters/aws/create-resources.js';
import { DynamoDbTable } from '../../../functions/adapters/aws/dynamodb-table.js';
import { S3BlobStore } from '../../../functions/adapters/aws/s3-blob-store.js';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { digestOf } from '../../../functions/core/digest.js';
import type { Job, RegistryEvent } from '../../../functions/core/jobs.js';
import { createWorkerHandler } from '../../../functions/entry/worker.handler.js';
import type { Table } from '../../../functions/ports/table.js';
import { BlobLinks } from '../../../functions/registry/blob-links.js';
import { keys } from '../../../functions/registry/keys.js';
import { auditCapability } from '../../../functions/lifecycle/audit-capability.js';
import { registryCapability } from '../../../functions/registry/registry-capability.js';
import { dispatch } from '../../../functions/worker/dispatch.js';
import { sqsBatchHandler } from '../../../functions/worker/sqs-batch.js';
import { type MotoStack, startMotoStack } from '../../support/aws-stack.js';
import { peekAll, SqsEventSource } from '../../support/sqs-event-source.js';

let stack: MotoStack;
let table: DynamoDbTable;
let blobs: S3BlobStore;
const logger = new Logger({ serviceName: 'berth-worker-test', logLevel: 'CRITICAL' });

beforeAll(async () => {
  stack = await startMotoStack();
  table = new DynamoDbTable(stack.clients.document, stack.resources.table);
  blobs = new S3BlobStore(stack.clients.s3, stack.resources.bucket);
});
afterAll(async () => {
  await stack?.stop();
});

function pushEvent(): RegistryEvent {
  return {
    version: 1,
    kind: 'registry-event',
    id: randomUUID(),
    action: 'push',
    repository: `team/app-${randomUUID().slice(0, 6)}`,
    digest: `sha256:${'ab'.repeat(32)}`,
    tag: 'v1',
    at: new Date().toISOString(),
  };
}

/** The audit records of one repository (records are kept per project: audit#<project>). */
async function auditOf(repository: string) {
  return (await table.query(`audit#${repository.split('/')[0]}`)).filter((record) => record.repository === repository);
}

/** Fresh queues whose redrive policy moves a message to the DLQ after two failed deliveries. */
async function queuesFailingAfterTwo() {
  return createQueues(stack.clients.sqs, `worker-${randomUUID().slice(0, 8)}`, { maxReceiveCount: 2 });
}

async function storeBlob(): Promise<string> {
  const bytes = randomBytes(1000);
  const digest = digestOf(bytes);
  const id = randomUUID();
  const state = await blobs.appendUpload(id, await blobs.beginUpload(id), (async function* () {
    yield bytes;
  })());
  await blobs.commitUpload(id, state, digest);
  return digest;
}

describe('worker on SQS (moto)', () => {
  it('a message that fails twice lands in the DLQ, and only that one', async () => {
    const queues = await queuesFailingAfterTwo();
    // The audit table is down for one repository: its event fails every delivery.
    const broken = pushEvent();
    const failing: Table = {
      get: (key) => table.get(key),
      query: (pk, options) => table.query(pk, options),
      delete: (key, condition) => table.delete(key, condition),
      transact: (ops) => table.transact(ops),
      put: async (item, condition) => {
        if (item.repository === broken.repository) throw new Error('ProvisionedThroughputExceededException');
        return table.put(item, condition);
      },
    };
    let attempts = 0;
    const handle = dispatch([registryCapability({ table: failing, blobs }), auditCapability({ table: failing })], failing);
    const source = new SqsEventSource(
      stack.clients.sqs,
      queues.queueUrl,
      sqsBatchHandler(async (job) => {
        if (job.id === broken.id) attempts++;
        await handle(job);
      }, logger),
    );
    const fine = pushEvent();
    const queue = new SqsJobQueue(stack.clients.sqs, queues.queueUrl);
    await queue.enqueue(broken);
    await queue.enqueue(fine);
    await source.drain();

    expect(attempts).toBe(2);
    const dead = await peekAll(stack.clients.sqs, queues.deadLetterQueueUrl);
    expect(dead.map((message) => JSON.parse(message.Body!))).toEqual([broken]);
    expect(await auditOf(fine.repository)).toHaveLength(1);
    expect(await auditOf(broken.repository)).toEqual([]);
  });

  it('a message that is not a known job goes to the DLQ without reaching a handler', async () => {
    const queues = await queuesFailingAfterTwo();
    const seen: Job[] = [];
    const source = new SqsEventSource(
      stack.clients.sqs,
      queues.queueUrl,
      sqsBatchHandler(async (job) => {
        seen.push(job);
      }, logger),
    );
    const bodies = ['not json', JSON.stringify({ version: 2, kind: 'registry-event' }), JSON.stringify({ kind: 'mystery' })];
    for (const body of bodies) {
      await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: body }));
    }
    await source.drain();
    expect(seen).toEqual([]);
    const dead = await peekAll(stack.clients.sqs, queues.deadLetterQueueUrl);
    expect(dead.map((message) => message.Body).sort()).toEqual([...bodies].sort());
  });

  it('a redelivered registry event changes nothing (the real worker entry)', async () => {
    const queues = await queuesFailingAfterTwo();
    const worker = await createWorkerHandler({ ...stack.env, BERTH_QUEUE_URL: queues.queueUrl });
    // The first delivery does its work and then times out, as a Lambda killed before it could
    // report success would: SQS delivers the message again.
    let deliveries = 0;
    let afterFirst: unknown;
    const event = pushEvent();
    const source = new SqsEventSource(stack.clients.sqs, queues.queueUrl, async (sqsEvent: SQSEvent) => {
      deliveries++;
      const response = await worker(sqsEvent);
      if (deliveries === 1) {
        afterFirst = await auditOf(event.repository);
        return { batchItemFailures: sqsEvent.Records.map((record) => ({ itemIdentifier: record.messageId })) };
      }
      return response;
    });
    await new SqsJobQueue(stack.clients.sqs, queues.queueUrl).enqueue(event);
    await source.drain();

    expect(deliveries).toBe(2);
    const audit = await auditOf(event.repository);
    expect(audit).toHaveLength(1);
    expect(audit).toEqual(afterFirst);
    expect(audit[0]).toMatchObject({ id: event.id, action: 'push', digest: event.digest, tag: 'v1' });
    expect(await peekAll(stack.clients.sqs, queues.deadLetterQueueUrl)).toEqual([]);
  });

  it('gc-blob deletes a blob no repository links, keeps a linked one, and tolerates redelivery', async () => {
    const worker = await createWorkerHandler(stack.env);
    const orphan = await storeBlob();
    const linked = await storeBlob();
    await table.put({ ...keys.blob(orphan), size: 1000 });
    await new BlobLinks(table).link('team/keep', linked, 1000, new Date());

    const gc = (digest: string): SQSEvent['Records'][number] => ({
      messageId: randomUUID(),
      receiptHandle: 'r',
      body: JSON.stringify({ version: 1, kind: 'gc-blob', id: randomUUID(), digest }),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 's', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
    });
    const batch = { Records: [gc(orphan), gc(linked)] };
    expect(await worker(batch)).toEqual({ batchItemFailures: [] });
    expect(await worker(batch)).toEqual({ batchItemFailures: [] });
    expect(await blobs.stat(orphan)).toBeNull();
    expect(await table.get(keys.blob(orphan))).toBeNull();
    expect(await blobs.stat(linked)).toEqual({ size: 1000 });
  });
});
