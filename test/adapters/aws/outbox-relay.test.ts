import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTable } from '../../../functions/adapters/aws/dynamodb-table.js';
import { outboxOp, sweepOutbox } from '../../../functions/adapters/aws/outbox.js';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import type { Job } from '../../../functions/core/jobs.js';
import { loadConfig } from '../../../functions/config.js';
import { createAwsDeps } from '../../../functions/entry/aws-deps.js';
import { compose } from '../../../functions/entry/compose.js';
import { createRelayHandler } from '../../../functions/entry/outbox-relay.handler.js';
import { createWorkerHandler } from '../../../functions/entry/worker.handler.js';
import { type MotoStack, startMotoStack } from '../../support/aws-stack.js';
import { StreamReader } from '../../support/dynamodb-stream.js';
import { pushImage } from '../../support/local-app.js';
import { peekAll, SqsEventSource } from '../../support/sqs-event-source.js';

let stack: MotoStack;
let table: DynamoDbTable;
let stream: StreamReader;

beforeAll(async () => {
  stack = await startMotoStack();
  table = new DynamoDbTable(stack.clients.document, stack.resources.table);
  stream = new StreamReader(stack.clients.dynamodb, stack.resources.table, stack.env);
});
afterAll(async () => {
  stream?.destroy();
  await stack?.stop();
});

describe('events on AWS: outbox → stream → relay → SQS → worker', () => {
  it('a push through the app reaches the worker as one audit record, however often the stream delivers it', async () => {
    const config = loadConfig(stack.env);
    const { app } = await compose(createAwsDeps(config), config);
    const pushed = await pushImage({ request: async (path, init) => app.request(`http://registry.test${path}`, init) }, 'team/app', 'v1');
    expect(pushed.response.status).toBe(201);

    const records = await stream.read();
    const relay = createRelayHandler(stack.env);
    const event = { Records: records } as unknown as DynamoDBStreamEvent;
    expect(await relay(event)).toEqual({ batchItemFailures: [] });
    // The stream retries a batch whose invocation timed out: nothing is sent twice.
    expect(await relay(event)).toEqual({ batchItemFailures: [] });
    const queued = await peekAll(stack.clients.sqs, stack.resources.queueUrl);
    expect(queued.map((message) => (JSON.parse(message.Body!) as Job).kind)).toEqual(['registry-event']);
    expect(await table.query('outbox', { index: 'gsi1' })).toEqual([]);

    const worker = await createWorkerHandler(stack.env);
    await new SqsEventSource(stack.clients.sqs, stack.resources.queueUrl, worker).drain();
    const audit = (await table.query('audit#team')).filter((record) => record.repository === 'team/app');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'push', digest: pushed.digest, tag: 'v1' });
  });

  it('the sweep relays what the stream did not, once it is old enough', async () => {
    const job: Job = { version: 1, kind: 'gc-blob', id: crypto.randomUUID(), digest: `sha256:${'e'.repeat(64)}` };
    await table.transact([outboxOp(job, new Date(Date.now() - 10 * 60_000))]);
    const young: Job = { ...job, id: crypto.randomUUID() };
    await table.transact([outboxOp(young)]);
    const sent: Job[] = [];
    const queue = new SqsJobQueue(stack.clients.sqs, stack.resources.queueUrl);
    expect(await sweepOutbox(table, async (j) => void sent.push(j), 5 * 60_000)).toBe(1);
    expect(sent.map((j) => j.id)).toEqual([job.id]);
    expect(await sweepOutbox(table, (j) => queue.enqueue(j), 0)).toBe(1);
    expect(await table.query('outbox', { index: 'gsi1' })).toEqual([]);
  });
});
