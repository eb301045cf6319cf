/**
 * A private containerd on its own socket and state dirs, driven with `ctr`. The CRI plugin is
 * off (no kubelet here) and content is isolated per namespace, so pulling into a fresh namespace
 * really downloads every blob again instead of reusing what a push left in the content store.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, run, startDaemon, waitFor, type Daemon, type RunOptions, type RunResult } from './process.js';

export interface Containerd {
  /** Path of the gRPC unix socket (`ctr -a`). */
  readonly socket: string;
  readonly daemon: Daemon;
  /** Runs `ctr -a SOCKET -n NAMESPACE args...`. */
  ctr(namespace: string, args: string[], options?: RunOptions): Promise<RunResult>;
  /** Stops containerd and deletes its state. */
  stop(): Promise<void>;
}

export async function startContainerd(): Promise<Containerd> {
  const temp = await makeTempDir('ctrd');
  const state = temp.path;
  const socket = join(state, 'containerd.sock');
  const configFile = join(state, 'config.toml');
  await writeFile(
    configFile,
    [
      'version = 2',
      `root = "${join(state, 'root')}"`,
      `state = "${join(state, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      `  address = "${join(state, 'debug.sock')}"`,
      '  level = "info"',
      '[metrics]',
      '  address = ""',
      '[plugins]',
      '  [plugins."io.containerd.internal.v1.opt"]',
      `    path = "${join(state, 'opt')}"`,
      '  [plugins."io.containerd.metadata.v1.bolt"]',
      '    content_sharing_policy = "isolated"',
      '',
    ].join('\n'),
  );
  const daemon = startDaemon('containerd', 'containerd', ['--config', configFile], {
    logFile: join(state, 'containerd.log'),
  });
  const ctr = (namespace: string, args: string[], options: RunOptions = {}): Promise<RunResult> =>
    run('ctr', ['-a', socket, '-n', namespace, ...args], options);

  try {
    await waitFor(
      'containerd to answer',
      async () => {
        if (!daemon.running()) throw new Error(`containerd exited:\n${daemon.logs().slice(-3000)}`);
        return (await ctr('default', ['version'], { allowFailure: true, timeoutMs: 10_000 })).code === 0;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } catch (error) {
    await daemon.stop(2_000);
    throw error;
  }

  return {
    socket,
    daemon,
    ctr,
    async stop() {
      await daemon.stop(10_000);
      await temp.remove();
    },
  };
}
