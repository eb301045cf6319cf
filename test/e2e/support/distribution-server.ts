/**
 * Runs CNCF Distribution 2.8 (Debian's `docker-registry`) as a peer: a replication target and
 * the speed baseline. Filesystem storage in a temp dir, deletes enabled, a free port.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, startDaemon } from './process.js';
import { serveRegistry, type RegistryServer } from './registry-server.js';

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
  return serveRegistry({
    kind: 'distribution',
    port,
    dataDir,
    supports: { referrers: false },
    launch: (run) => startDaemon(`distribution#${run}`, options.binary ?? 'docker-registry', ['serve', configFile], { logFile }),
    cleanup: () => temp.remove(),
  });
}
