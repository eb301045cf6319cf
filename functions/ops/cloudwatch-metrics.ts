import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Metrics, RequestSample } from './metrics.js';

/** The namespace Berth's figures are published under in CloudWatch. */
export const metricsNamespace = 'Berth';

/**
 * The Lambda runtime's metrics: CloudWatch metrics through Powertools, written as Embedded Metric
 * Format lines on stdout (CloudWatch Logs turns them into metrics; no API call, no latency). One
 * line per request, with `route` (a distribution-spec endpoint id or the API's route pattern) and
 * `status` (the class: 2xx, 4xx, 5xx) as dimensions so the number of series stays bounded; one
 * line per job, by `kind` and outcome. Uploads in flight are a per-process gauge that means
 * nothing across Lambda instances: API Gateway's own concurrency figures stand in for it.
 */
export class CloudWatchMetrics implements Metrics {
  private readonly metrics: PowertoolsMetrics;

  constructor(serviceName = 'berth') {
    this.metrics = new PowertoolsMetrics({ namespace: metricsNamespace, serviceName });
  }

  request(sample: RequestSample): void {
    try {
      this.metrics.addDimensions({ route: sample.route || 'unmatched', status: `${Math.floor(sample.status / 100)}xx` });
      this.metrics.addMetric('Requests', MetricUnit.Count, 1);
      this.metrics.addMetric('Latency', MetricUnit.Milliseconds, Math.round(sample.seconds * 100_000) / 100);
      this.metrics.addMetric('BytesIn', MetricUnit.Bytes, sample.bytesIn);
      this.metrics.addMetric('BytesOut', MetricUnit.Bytes, sample.bytesOut);
      this.metrics.publishStoredMetrics();
    } catch {
      // Metrics never fail a request.
    }
  }

  uploadsInFlight(): void {}

  job(kind: string, outcome: 'ok' | 'failed'): void {
    try {
      this.metrics.addDimension('kind', kind);
      this.metrics.addMetric(outcome === 'ok' ? 'JobsSucceeded' : 'JobsFailed', MetricUnit.Count, 1);
      this.metrics.publishStoredMetrics();
    } catch {
      // Nor a job.
    }
  }
}
