/**
 * Runs Berth's Node entry (`functions/entry/server.ts`) as a real process, the way `npm start`
 * does, on a free port and a temporary data dir.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, startDaemon } from './process.js';
import { serveRegistry, type RegistryServer } from './registry-server.js';

/** The repository root, found from this file's location. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface BerthServerOptions {
  /** Extra environment for the server (auth settings, log level...). */
  env?: NodeJS.ProcessEnv;
  /** Reuse this data dir instead of a fresh temp dir; it is then not deleted by `stop()`. */
  dataDir?: string;
  port?: number;
  /** Run the compiled server (`dist/server.js`, what `npm start` runs; build it first) rather than the sources under tsx. */
  compiled?: boolean;
}

export async function startBerthServer(options: BerthServerOptions = {}): Promise<RegistryServer> {
  const temp = await makeTempDir('srv');
  const dataDir = options.dataDir ?? join(temp.path, 'data');
  const port = options.port ?? (await freePort());
  const logFile = join(temp.path, 'server.log');
  return serveRegistry({
    kind: 'berth',
    port,
    dataDir,
    supports: { referrers: true },
    launch: (run) =>
      startDaemon(`berth#${run}`, process.execPath, options.compiled ? ['dist/server.js'] : ['--import', 'tsx', 'functions/entry/server.ts'], {
        cwd: repoRoot,
        env: { ...process.env, ...options.env, HOST: '127.0.0.1', PORT: String(port), BERTH_DATA_DIR: dataDir },
        logFile,
      }),
    cleanup: async () => {
      if (options.dataDir === undefined) await temp.remove();
      else await temp.remove().catch(() => undefined);
    },
  });
}
