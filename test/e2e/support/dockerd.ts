/**
 * A private Docker engine (classic image store, vfs storage) on its own unix socket, data root
 * and exec root, with no networking set up (no bridge, no iptables), so it can run beside any
 * other engine on the machine. Image pushes and pulls need none of what is switched off.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, run, startDaemon, waitFor, type Daemon, type RunOptions, type RunResult } from './process.js';

export interface Dockerd {
  /** `unix://.../docker.sock`, for `DOCKER_HOST`. */
  readonly host: string;
  readonly daemon: Daemon;
  /** Runs the docker CLI against this engine. */
  docker(args: string[], options?: RunOptions): Promise<RunResult>;
  /** Stops the engine (and its containerd) and deletes its state. */
  stop(): Promise<void>;
}

/** Debian's CLI matches Debian's engine; another `docker` earlier on PATH may be much newer. */
export const dockerCli = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export async function startDockerd(): Promise<Dockerd> {
  const temp = await makeTempDir('dockerd');
  const state = temp.path;
  await mkdir(join(state, 'exec'), { recursive: true });
  await mkdir(join(state, 'cli'), { recursive: true });
  const socket = join(state, 'docker.sock');
  const configFile = join(state, 'daemon.json');
  await writeFile(
    configFile,
    JSON.stringify({
      'data-root': join(state, 'data'),
      'exec-root': join(state, 'exec'),
      pidfile: join(state, 'exec', 'dockerd.pid'),
      hosts: [`unix://${socket}`],
      'storage-driver': 'vfs',
      iptables: false,
      'ip-forward': false,
      'ip-masq': false,
      bridge: 'none',
    }),
  );
  const daemon = startDaemon('dockerd', 'dockerd', ['--config-file', configFile], {
    logFile: join(state, 'dockerd.log'),
  });
  const host = `unix://${socket}`;
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(state, 'cli') };
  const docker = (args: string[], options: RunOptions = {}): Promise<RunResult> =>
    run(dockerCli, args, { ...options, env: { ...env, ...options.env } });

  try {
    await waitFor(
      'dockerd to answer',
      async () => {
        if (!daemon.running()) throw new Error(`dockerd exited:\n${daemon.logs().slice(-3000)}`);
        const result = await docker(['version', '--format', '{{.Server.Version}}'], {
          allowFailure: true,
          timeoutMs: 10_000,
        });
        return result.code === 0;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  } catch (error) {
    await daemon.stop(2_000);
    throw new Error(`${(error as Error).message}\n${daemon.logs().slice(-3000)}`);
  }

  return {
    host,
    daemon,
    docker,
    async stop() {
      await daemon.stop(10_000);
      await temp.remove();
    },
  };
}
