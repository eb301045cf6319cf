import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: bundling resolves entries and the lockfile from here. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Source files the constructs bundle, as absolute paths. */
export interface EntryPoints {
  /** Exports `handler` for API Gateway HTTP API (payload v2) events. */
  readonly api: string;
  /** Exports `handler` for SQS batches, answering partial batch failures. */
  readonly worker: string;
  /** Node program that listens on `PORT` and serves the app for the upload service. */
  readonly uploadServer: string;
  /** Exports `handler` for DynamoDB stream batches: relays committed outbox jobs to SQS. */
  readonly outboxRelay: string;
}

export const defaultEntryPoints: EntryPoints = {
  api: path.join(repoRoot, 'functions', 'entry', 'api.handler.ts'),
  worker: path.join(repoRoot, 'functions', 'entry', 'worker.handler.ts'),
  uploadServer: path.join(repoRoot, 'functions', 'entry', 'upload-server.ts'),
  outboxRelay: path.join(repoRoot, 'functions', 'entry', 'outbox-relay.handler.ts'),
};
