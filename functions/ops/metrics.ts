import type { JobHandler } from '../ports/job-queue.js';

/** One request as the metrics see it. */
export interface RequestSample {
  /** The matched route: a distribution-spec endpoint id (`end-3`) or the API's route pattern. */
  route: string;
  method: string;
  status: number;
  seconds: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Where the app reports what it does. Each runtime has its sink: Prometheus on the Node server
 * (prometheus-metrics.ts, scraped at /metrics), CloudWatch through Powertools on Lambda. Calls
 * must be cheap and never throw: they run on every request.
 */
export interface Metrics {
  request(sample: RequestSample): void;
  /** An upload request (PATCH or PUT with a body) started (+1) or ended (-1). */
  uploadsInFlight(delta: 1 | -1): void;
  /** A job ran to the end (`ok`) or threw (`failed`, to be retried or dead-lettered). */
  job(kind: string, outcome: 'ok' | 'failed'): void;
  /** The Prometheus exposition, on runtimes that are scraped. */
  exposition?(): Promise<{ contentType: string; body: string }>;
}

/** The dispatch, with each job's outcome counted. */
export function countedJobs(worker: JobHandler, metrics: Metrics): JobHandler {
  return async (job) => {
    try {
      await worker(job);
      metrics.job(job.kind, 'ok');
    } catch (error) {
      metrics.job(job.kind, 'failed');
      throw error;
    }
  };
}
