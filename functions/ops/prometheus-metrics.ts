import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobQueue } from '../ports/job-queue.js';
import type { Metrics, RequestSample } from './metrics.js';

/**
 * Metrics for Prometheus on the Node server, in one registry of its own (several servers in one
 * test process must not share counters). Queue depth is read from the queue on each scrape.
 */
export class PrometheusMetrics implements Metrics {
  private readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'route' | 'method'>;
  private readonly bytes: Counter<'direction'>;
  private readonly uploads: Gauge;
  private readonly jobs: Counter<'kind' | 'outcome'>;

  constructor(queue?: JobQueue) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'berth_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers });
    this.latency = new Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'Time from request to response headers (streamed bodies: to the end of the stream)',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.bytes = new Counter({ name: 'berth_http_bytes_total', help: 'Body bytes received (in) and sent (out)', labelNames: ['direction'], registers });
    this.uploads = new Gauge({ name: 'berth_uploads_in_flight', help: 'Blob upload requests being received now', registers });
    this.jobs = new Counter({ name: 'berth_jobs_total', help: 'Jobs run by kind and outcome', labelNames: ['kind', 'outcome'], registers });
    if (queue?.depth) {
      const depth = queue.depth.bind(queue);
      new Gauge({
        name: 'berth_queue_depth',
        help: 'Jobs waiting, by queue',
        labelNames: ['queue'],
        registers,
        async collect() {
          const { short, long } = await depth();
          this.set({ queue: 'short' }, short);
          this.set({ queue: 'long' }, long);
        },
      });
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_' });
  }

  /**
   * The series one kind of request counts in, bound once: prom-client hashes a labels object on
   * every call otherwise, four times a request. Routes are the route table's names, methods and
   * statuses a handful, so the map stays small.
   */
  private readonly series = new Map<string, { requests: Counter.Internal; latency: Histogram.Internal<'route' | 'method'> }>();
  private bytesIn?: Counter.Internal;
  private bytesOut?: Counter.Internal;

  request(sample: RequestSample): void {
    const key = `${sample.route}\u0000${sample.method}\u0000${sample.status}`;
    let series = this.series.get(key);
    if (!series) {
      series = { requests: this.requests.labels(sample.route, sample.method, String(sample.status)), latency: this.latency.labels(sample.route, sample.method) };
      this.series.set(key, series);
    }
    series.requests.inc();
    series.latency.observe(sample.seconds);
    if (sample.bytesIn > 0) (this.bytesIn ??= this.bytes.labels('in')).inc(sample.bytesIn);
    if (sample.bytesOut > 0) (this.bytesOut ??= this.bytes.labels('out')).inc(sample.bytesOut);
  }

  uploadsInFlight(delta: 1 | -1): void {
    this.uploads.inc(delta);
  }

  job(kind: string, outcome: 'ok' | 'failed'): void {
    this.jobs.inc({ kind, outcome });
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
