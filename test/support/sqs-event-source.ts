import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** The SQS event a Lambda event source mapping builds from received messages. */
export function toSqsEvent(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: message.Attributes?.SenderId ?? 'sender',
          ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

/**
 * Plays the Lambda event source mapping against a real queue: receive a batch, invoke the
 * handler, delete the records it did not report as failed, and leave the failed ones for
 * redelivery. The one shortcut: a failed record is made visible again at once instead of after
 * the visibility timeout. The queue's own redrive policy moves a record to the dead-letter queue
 * when it is received once more than maxReceiveCount, as on AWS.
 */
export class SqsEventSource {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  ) {}

  /** Polls until the queue holds nothing, visible or in flight. */
  async drain(timeoutMs = 30_000): Promise<{ batches: number }> {
    const deadline = Date.now() + timeoutMs;
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes?.QueueArn ?? 'arn:aws:sqs:us-east-1:000000000000:queue';
    let batches = 0;
    while (Date.now() < deadline) {
      const { Messages } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (!Messages?.length) {
        if (await this.empty()) return { batches };
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      batches++;
      const response = await this.handler(toSqsEvent(Messages, queueArn));
      const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      const done = Messages.filter((message) => !failed.has(message.MessageId!));
      const retry = Messages.filter((message) => failed.has(message.MessageId!));
      if (done.length) {
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
          }),
        );
      }
      if (retry.length) {
        await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: retry.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle!,
              VisibilityTimeout: 0,
            })),
          }),
        );
      }
    }
    throw new Error(`queue ${this.queueUrl} did not drain within ${timeoutMs} ms`);
  }

  private async empty(): Promise<boolean> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0) ===
      0
    );
  }
}

/** Every message in a queue (a dead-letter queue), read without consuming it. */
export async function peekAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30 }),
    );
    if (!Messages?.length) break;
    for (const message of Messages) seen.set(message.MessageId!, message);
  }
  const all = [...seen.values()];
  for (let index = 0; index < all.length; index += 10) {
    const batch = all.slice(index, index + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, entry) => ({
          Id: String(entry),
          ReceiptHandle: message.ReceiptHandle!,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return all;
}
