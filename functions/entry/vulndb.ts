import { resolve } from 'node:path';
import type { AppDeps } from '../app-env.js';
import { loadConfig } from '../config.js';
import { osvDocuments } from '../scanning/osv-archive.js';
import { VulnDb } from '../scanning/vuln-db.js';
import { createLocalDeps } from './local-deps.js';
import { importOsv } from '../scanning/vuln-db-import.js';

/**
 * `npm run vulndb -- import <zip|dir>...`: loads OSV data (osv.dev's per-ecosystem `all.zip`
 * exports, or a directory of OSV JSON files) into the registry's table, then queues a re-match of
 * every stored inventory. `npm run vulndb -- status` shows what is loaded. Uses the same backend
 * settings as `npm start` (BERTH_BACKEND, BERTH_DATA_DIR, or the aws variables).
 */
async function depsFromEnv(): Promise<{ deps: AppDeps; close(): Promise<void> }> {
  const config = loadConfig(process.env);
  if (config.BERTH_BACKEND === 'aws') {
    const { createAwsDeps } = await import('./aws-deps.js');
    return { deps: createAwsDeps(config), close: async () => {} };
  }
  const deps = createLocalDeps(resolve(config.BERTH_DATA_DIR ?? 'data'));
  return { deps, close: async () => deps.table.close() };
}

async function main(args: string[]): Promise<number> {
  const [command, ...paths] = args;
  if (command !== 'import' && command !== 'status') {
    console.error('usage: npm run vulndb -- import <all.zip|directory>...  |  npm run vulndb -- status');
    return 2;
  }
  const { deps, close } = await depsFromEnv();
  try {
    const db = new VulnDb(deps.table);
    if (command === 'status') {
      console.log(JSON.stringify((await db.meta()) ?? { loaded: false }));
      return 0;
    }
    if (paths.length === 0) {
      console.error('import needs at least one zip or directory');
      return 2;
    }
    let loaded = 0;
    for (const path of paths) {
      const result = await importOsv(deps.table, osvDocuments(path), path);
      loaded += result.records;
      console.log(JSON.stringify({ source: path, records: result.records, advisories: result.advisories, skipped: result.skipped.length }));
      for (const skipped of result.skipped.slice(0, 20)) console.error(JSON.stringify({ level: 'warn', message: 'record skipped', ...skipped }));
    }
    if (loaded === 0) {
      console.error('nothing was imported');
      return 1;
    }
    await deps.queue.enqueue({ version: 1, kind: 'scan-rematch', id: `rematch-${crypto.randomUUID()}` });
    console.log(JSON.stringify({ message: 'stored reports will be re-matched by the worker', meta: await db.meta() }));
    return 0;
  } catch (error) {
    console.error(`vulndb: ${(error as Error).message}`);
    return 1;
  } finally {
    await close();
  }
}

process.exitCode = await main(process.argv.slice(2));
