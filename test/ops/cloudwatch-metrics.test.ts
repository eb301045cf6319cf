import { afterEach, describe, expect, test, vi } from 'vitest';
import { createApiHandler } from '../../functions/entry/api.handler.js';
import { CloudWatchMetrics } from '../../functions/ops/cloudwatch-metrics.js';
import { countedJobs } from '../../functions/ops/metrics.js';

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [field: string]: unknown;
}

/** Runs `action` and returns the Embedded Metric Format lines it wrote to stdout. */
async function emfLines(action: () => Promise<unknown> | unknown): Promise<Emf[]> {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await action();
  } finally {
    write.mockRestore();
  }
  return written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
}

afterEach(() => vi.restoreAllMocks());

describe('CloudWatch metrics on Lambda (Powertools, Embedded Metric Format)', () => {
  test('a request is one line: count, latency and bytes, by route and status class', async () => {
    const metrics = new CloudWatchMetrics('berth-test');
    const [line, ...rest] = await emfLines(() => metrics.request({ route: 'end-3', method: 'GET', status: 404, seconds: 0.01234, bytesIn: 0, bytesOut: 321 }));
    expect(rest).toEqual([]);
    const directive = line!._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe('Berth');
    expect(directive.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'route', 'status']));
    expect(directive.Metrics.map((m) => `${m.Name}:${m.Unit}`).sort()).toEqual(['BytesIn:Bytes', 'BytesOut:Bytes', 'Latency:Milliseconds', 'Requests:Count']);
    expect(line).toMatchObject({ service: 'berth-test', route: 'end-3', status: '4xx', Requests: 1, Latency: 12.34, BytesIn: 0, BytesOut: 321 });
  });

  test('jobs are counted by kind and outcome through the worker wrapper', async () => {
    const metrics = new CloudWatchMetrics();
    const worker = countedJobs(async (job) => {
      if (job.kind === 'gc-sweep') throw new Error('collector failed');
    }, metrics);
    const lines = await emfLines(async () => {
      await worker({ version: 1, kind: 'schedule-tick', id: 'tick-1' });
      await expect(worker({ version: 1, kind: 'gc-sweep', id: 'gc-1' } as never)).rejects.toThrow('collector failed');
    });
    expect(lines.map((l) => ({ kind: l.kind, ok: l.JobsSucceeded, failed: l.JobsFailed }))).toEqual([
      { kind: 'schedule-tick', ok: 1, failed: undefined },
      { kind: 'gc-sweep', ok: undefined, failed: 1 },
    ]);
  });

  test('the Lambda API handler reports each request it answers', async () => {
    const handler = await createApiHandler({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      BERTH_BUCKET: 'bucket',
      BERTH_TABLE: 'table',
      BERTH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/jobs',
      BERTH_AUTH: 'off',
      BERTH_LOG_LEVEL: 'silent',
    });
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v2/',
      rawQueryString: '',
      headers: { host: 'registry.example.com' },
      requestContext: { http: { method: 'GET', path: '/v2/', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' }, requestId: 'r1', routeKey: '$default', stage: '$default', timeEpoch: Date.now() },
      isBase64Encoded: false,
    };
    let status = 0;
    const lines = await emfLines(async () => {
      status = ((await handler(event as never, { awsRequestId: 'r1' } as never)) as { statusCode: number }).statusCode;
    });
    expect(status).toBe(200);
    expect(lines).toEqual([expect.objectContaining({ route: 'end-1', status: '2xx', Requests: 1 })]);
  });
});
