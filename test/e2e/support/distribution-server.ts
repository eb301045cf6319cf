/**
 * Runs CNCF Distribution 2.8 (Debian's `docker-registry`) as a peer: a replication target and
 * the speed baseline. Filesystem storage in a temp dir, deletes enabled, a free port.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, startDaemon, type Daemon } from './process.js';
import { waitForV2, type RegistryServer } from './registry-server.js';

export interface DistributionOptions {
  /** Distribution's log level; `info` logs every request, `warn` keeps benchmarks quiet. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  binary?: string;
}

export async function startDistribution(options: DistributionOptions = {}): Promise<RegistryServer> {
  const temp = await makeTempDir('dist');
  const dataDir = join(temp.path, 'data');
  await mkdir(dataDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(temp.path, 'config.yml');
  await writeFile(
    configFile,
    [
      'version: 0.1',
      'log:',
      `  level: ${options.logLevel ?? 'info'}`,
      'storage:',
      '  cache:',
      '    blobdescriptor: inmemory',
      '  filesystem:',
      `    rootdirectory: ${dataDir}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const logFile = join(temp.path, 'registry.log');
  let runs = 0;

  const launch = async (): Promise<Daemon> => {
    runs += 1;
    const daemon = startDaemon(`distribution#${runs}`, options.binary ?? 'docker-registry', ['serve', configFile], {
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
    kind: 'distribution',
    host: `127.0.0.1:${port}`,
    url,
    dataDir,
    supports: { referrers: false },
    process: () => current,
    logs: () => current.logs(),
    kill9: () => current.kill9(),
    async restart() {
      if (current.running()) await current.stop();
      current = await launch();
    },
    async stop() {
      await current.stop();
      await temp.remove();
    },
  };
}
