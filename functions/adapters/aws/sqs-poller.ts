import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * A long-running process's own consumer of an SQS queue (`BERTH_BACKEND=aws npm start`), where
 * no Lambda event source exists: long-polls the queue and hands each batch to the same batch
 * handler the worker Lambda uses (worker/sqs-batch.ts), deleting what succeeded. A failed message
 * stays; SQS makes it visible again after the visibility timeout and, after the redrive count,
 * moves it to the dead-letter queue, exactly as with the Lambda event source.
 */
export function pollQueue(sqs: SQSClient, queueUrl: string, handle: BatchHandler, onError: (error: unknown) => void): { stop(): Promise<void> } {
  const abort = new AbortController();
  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
          { abortSignal: abort.signal },
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) continue;
        const records = messages.map(
          (message) =>
            ({
              messageId: message.MessageId!,
              receiptHandle: message.ReceiptHandle!,
              body: message.Body ?? '',
              attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1' },
              eventSource: 'aws:sqs',
              eventSourceARN: queueUrl,
            }) as unknown as SQSRecord,
        );
        const { batchItemFailures } = await handle({ Records: records });
        const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
        const done = records.filter((record) => !failed.has(record.messageId));
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })) }),
          );
        }
      } catch (error) {
        if (abort.signal.aborted) break;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 5_000).unref());
      }
    }
  })();
  return {
    stop: async () => {
      abort.abort();
      await loop;
    },
  };
}
