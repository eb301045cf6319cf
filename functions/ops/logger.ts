import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from '../config.js';

/**
 * The one logger of every runtime: Powertools' Logger writes one JSON line per entry, on Lambda
 * (where CloudWatch indexes the fields) and on Node alike. Use `log`: while a request is being
 * served (`withRequestId`), every line carries its `requestId`, whoever writes it.
 */
export let logger = new Logger({ serviceName: 'berth' });

const current = new AsyncLocalStorage<string>();

const levels = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', silent: 'SILENT' } as const;

/**
 * Applies an entry point's settings, once, before it logs anything: the least level written
 * (BERTH_LOG_LEVEL) and the service name on every line (POWERTOOLS_SERVICE_NAME, which the CDK
 * app sets per function).
 */
export function configureLogging(config: Pick<Config, 'BERTH_LOG_LEVEL' | 'POWERTOOLS_SERVICE_NAME'>): void {
  logger = new Logger({ serviceName: config.POWERTOOLS_SERVICE_NAME ?? 'berth', logLevel: levels[config.BERTH_LOG_LEVEL ?? 'info'] });
}

/** Runs `fn` as part of one request: lines logged meanwhile carry its id. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return current.run(requestId, fn);
}

type Fields = Record<string, unknown>;

function fieldsOf(fields: Fields | undefined): Fields {
  const requestId = current.getStore();
  return requestId === undefined ? (fields ?? {}) : { requestId, ...fields };
}

export const log = {
  debug: (message: string, fields?: Fields) => logger.debug(message, fieldsOf(fields)),
  info: (message: string, fields?: Fields) => logger.info(message, fieldsOf(fields)),
  warn: (message: string, fields?: Fields) => logger.warn(message, fieldsOf(fields)),
  error: (message: string, fields?: Fields) => logger.error(message, fieldsOf(fields)),
};
