import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of every runtime: Powertools' Logger writes one JSON line per entry, on Lambda
 * (where CloudWatch indexes the fields) and on Node alike. Use `log`: while a request is being
 * served (`withRequestId`), every line carries its `requestId`, whoever writes it.
 */
export const logger = new Logger({ serviceName: 'berth' });

const current = new AsyncLocalStorage<string>();

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Sets the least level written (BERTH_LOG_LEVEL); `silent` writes nothing. */
export function setLogLevel(level: LogLevel = 'info'): void {
  logger.setLogLevel(level === 'silent' ? 'SILENT' : (level.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'));
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
