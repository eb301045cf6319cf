import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The credential key of the embedded default: BERTH_REPLICATION_KEY when given, else a key
 * generated on first start and kept beside the data (`<dataDir>/replication.key`, mode 0600), as
 * Harbor keeps its secret key file. Moving the data dir without this file makes stored registry
 * credentials unreadable (they must be entered again), which is the point of keeping them sealed.
 */
export function replicationKeyFor(dataDir: string, fromEnv: string | undefined): string {
  if (fromEnv) return fromEnv;
  const path = join(dataDir, 'replication.key');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32).toString('base64');
  try {
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process wrote it first: theirs is the key.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw error;
  }
}
