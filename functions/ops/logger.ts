import { Console } from 'node:console';
import { EventEmitter } from 'node:events';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from '../config.js';

/**
 * The one logger of every runtime: Powertools' Logger writes one JSON line per entry, on Lambda
 * (where CloudWatch indexes the fields) and on Node alike. Lines about a request carry its
 * `requestId` field (the access line, errors, denials), so one id finds everything about it. The
 * id is passed explicitly rather than through AsyncLocalStorage: on Node 20 that turns on promise
 * hooks for the whole process, which cost about a third of the manifest GET rate when measured.
 */
export let logger = new Logger({ serviceName: 'berth' });

const levels = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', silent: 'SILENT' } as const;

/**
 * Applies an entry point's settings, once, before it logs anything: the least level written
 * (BERTH_LOG_LEVEL) and the service name on every line (POWERTOOLS_SERVICE_NAME, which the CDK
 * app sets per function).
 */
export function configureLogging(config: Pick<Config, 'BERTH_LOG_LEVEL' | 'POWERTOOLS_SERVICE_NAME'>, options: { batched?: boolean } = {}): void {
  least = rank[config.BERTH_LOG_LEVEL ?? 'info'];
  logger = new Logger({ serviceName: config.POWERTOOLS_SERVICE_NAME ?? 'berth', logLevel: levels[config.BERTH_LOG_LEVEL ?? 'info'] });
  if (options.batched) {
    // Powertools writes through a Console of its own over process.stdout, set in its constructor
    // and not an option; this one writes the same lines through TurnBatch.
    const batched = new Console({ stdout: turnBatch(), stderr: process.stderr });
    batched.trace = batched.log;
    (logger as unknown as { console: Console }).console = batched;
  }
}

/**
 * process.stdout with one write per turn of the event loop: the lines logged while a turn runs
 * (an access line for each request it answered) go out in one write(2) when it ends, not one
 * each (measured on the Node server under load: 5% to 8% more manifest GETs a second). Lines
 * still pending when the process exits are written then (stdout to a file, and on Linux to a
 * pipe, is written synchronously). For long-lived processes only: a Lambda function is frozen
 * once it answers, so its lines are written as they come.
 */
class TurnBatch extends EventEmitter implements NodeJS.WritableStream {
  readonly writable = true;
  private pending: string[] = [];

  write(chunk: string | Uint8Array): boolean {
    if (this.pending.length === 0) setImmediate(this.flush);
    this.pending.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }

  end(): this {
    this.flush();
    return this;
  }

  readonly flush = (): void => {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    process.stdout.write(text);
  };
}

let batch: TurnBatch | undefined;

function turnBatch(): TurnBatch {
  if (!batch) {
    batch = new TurnBatch();
    process.on('exit', batch.flush);
  }
  return batch;
}

type Fields = Record<string, unknown>;

let least = 1;
const rank = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 } as const;

/** The logger's calls behind a level check of our own, so a filtered access line costs nothing. */
export const log = {
  debug: (message: string, fields?: Fields) => least <= 0 && logger.debug(message, fields ?? {}),
  info: (message: string, fields?: Fields) => least <= 1 && logger.info(message, fields ?? {}),
  warn: (message: string, fields?: Fields) => least <= 2 && logger.warn(message, fields ?? {}),
  error: (message: string, fields?: Fields) => least <= 3 && logger.error(message, fields ?? {}),
};
