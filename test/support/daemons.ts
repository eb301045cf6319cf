import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A daemon this test started in its own state directory, and how to stop it. */
export interface Daemon {
  dir: string;
  socket: string;
  stop(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
}

/** Writes a config with STATE_DIR replaced by the daemon's own directory. */
async function configFrom(template: string, dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, template.replaceAll('STATE_DIR', dir));
  return path;
}

const dockerdConfig = JSON.stringify({
  'data-root': 'STATE_DIR/data',
  'exec-root': 'STATE_DIR/exec',
  pidfile: 'STATE_DIR/exec/dockerd.pid',
  hosts: ['unix://STATE_DIR/docker.sock'],
  'storage-driver': 'vfs',
  iptables: false,
  ip6tables: false,
  'ip-forward': false,
  'ip-masq': false,
  bridge: 'none',
});

const containerdConfig = `version = 2
root = "STATE_DIR/root"
state = "STATE_DIR/state"
[grpc]
  address = "STATE_DIR/containerd.sock"
[ttrpc]
  address = "STATE_DIR/containerd.sock.ttrpc"
[debug]
  address = "STATE_DIR/debug.sock"
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    disable = true
`;

/** dockerd on its own socket and data root (vfs, no networking of its own), or null without dockerd. */
export async function startDockerd(): Promise<Daemon | null> {
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd')) return null;
  // Short path: the socket must fit a unix socket address.
  const dir = await mkdtemp(join(tmpdir(), 'bd-'));
  const config = await configFrom(dockerdConfig, dir, 'daemon.json');
  const child = spawn('dockerd', ['--config-file', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  const socket = join(dir, 'docker.sock');
  await waitFor(async () => {
    await run('docker', ['-H', `unix://${socket}`, 'version', '--format', '{{.Server.Version}}']);
    return true;
  }, child, 'dockerd');
  return { dir, socket, stop: stopper(child, dir) };
}

/** containerd on its own socket and root, or null without containerd. */
export async function startContainerd(): Promise<Daemon | null> {
  if (!existsSync('/usr/bin/containerd')) return null;
  const dir = await mkdtemp(join(tmpdir(), 'bc-'));
  const config = await configFrom(containerdConfig, dir, 'containerd.toml');
  const child = spawn('containerd', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  const socket = join(dir, 'containerd.sock');
  await waitFor(async () => {
    await run('ctr', ['-a', socket, 'version']);
    return true;
  }, child, 'containerd');
  return { dir, socket, stop: stopper(child, dir) };
}
