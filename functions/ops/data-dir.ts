import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StartupError } from './startup-error.js';

/**
 * Makes sure the embedded default's data directory exists and can be written, before anything
 * opens a file in it: a path that is a file, under a file, or read-only is a StartupError
 * naming BERTH_DATA_DIR.
 */
export function prepareDataDir(path: string): void {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat && !stat.isDirectory()) throw new StartupError(`BERTH_DATA_DIR=${path} is not a directory`);
    mkdirSync(path, { recursive: true });
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError(`BERTH_DATA_DIR=${path} cannot be used as the data directory (${(error as Error).message})`);
  }
}

/**
 * One server per data directory. The lock is an SQLite database (`berth.lock`) held in exclusive
 * locking mode: SQLite takes an fcntl lock that the kernel drops when the process dies however it
 * dies, so a lock left by `kill -9` is free at once and never needs guessing from a pid. The
 * holder's pid goes in `berth.pid`, for the refusal message only. Returns the release.
 */
export function lockDataDir(path: string): () => void {
  const pidFile = join(path, 'berth.pid');
  const lock = new Database(join(path, 'berth.lock'), { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, since TEXT)');
    lock.transaction(() => {
      lock.exec('DELETE FROM holder');
      lock.prepare('INSERT INTO holder VALUES (?, ?)').run(process.pid, new Date().toISOString());
    })();
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    const pid = Number(readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }).trim());
    const holder = pid > 0 ? `process ${pid}` : 'another process';
    throw new StartupError(`BERTH_DATA_DIR=${path} is in use by another Berth server (${holder}); stop it or choose another data directory`);
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return () => lock.close();
}
