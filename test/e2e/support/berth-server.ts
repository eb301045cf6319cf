/**
 * Runs Berth's Node entry (`functions/entry/server.ts`) as a real process, the way `npm start`
 * does, on a free port and a temporary data dir.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, startDaemon, type Daemon } from './process.js';
import { waitForV2, type RegistryServer } from './registry-server.js';

/** The repository root, found from this file's location. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface BerthServerOptions {
  /** Extra environment for the server (auth settings, log level...). */
  env?: NodeJS.ProcessEnv;
  /** Reuse this data dir instead of a fresh temp dir; it is then not deleted by `stop()`. */
  dataDir?: string;
  port?: number;
}

export async function startBerthServer(options: BerthServerOptions = {}): Promise<RegistryServer> {
  const temp = await makeTempDir('srv');
  const dataDir = options.dataDir ?? join(temp.path, 'data');
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(temp.path, 'server.log');
  let runs = 0;

  const launch = async (): Promise<Daemon> => {
    runs += 1;
    const daemon = startDaemon(`berth#${runs}`, process.execPath, ['--import', 'tsx', 'functions/entry/server.ts'], {
      cwd: repoRoot,
      env: { ...process.env, ...options.env, HOST: '127.0.0.1', PORT: String(port), BERTH_DATA_DIR: dataDir },
      logFile,
    });
    try {
      await waitForV2(url, daemon);
    } catch (error) {
      await daemon.kill9();
      throw error;
    }
    return daemon;
  };

  let current = await launch();
  return {
    kind: 'berth',
    host: `127.0.0.1:${port}`,
    url,
    dataDir,
    supports: { referrers: true },
    process: () => current,
    logs: () => current.logs(),
    kill9: () => current.kill9(),
    async restart() {
      if (current.running()) await current.stop();
      current = await launch();
    },
    async stop() {
      await current.stop();
      if (options.dataDir === undefined) await temp.remove();
      else await temp.remove().catch(() => undefined);
    },
  };
}
