import { ConfigError } from '../config.js';

/**
 * Something the operator must fix before the process can serve (port taken, data dir unusable,
 * AWS resource missing): its message is one line naming the setting and what is wrong.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Ends a process that could not start: one line on stderr, exit code 1, no stack trace for the
 * errors the operator can fix (ConfigError, StartupError); any other error adds its stack.
 */
export function exitOnStartupError(error: unknown, what = 'berth'): never {
  const known = error instanceof ConfigError || error instanceof StartupError;
  const line = known ? (error as Error).message : `cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  process.stderr.write(`${what}: ${line}\n`);
  process.exit(known && error instanceof ConfigError ? 2 : 1);
}
