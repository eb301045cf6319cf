/**
 * Child processes for end-to-end tests: long-running daemons (registries, dockerd, containerd)
 * and one-shot client commands (skopeo, podman, docker, ctr).
 *
 * Every daemon is started in its own process group and remembered, so that a crashed test run
 * still kills what it started when the worker exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A daemon started by {@link startDaemon}. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** File that receives the daemon's stdout and stderr. */
  readonly logFile: string;
  /** Everything the daemon printed so far. */
  logs(): string;
  /** True until the process has exited. */
  running(): boolean;
  /** Resolves with the exit code (or null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM the process group, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL the process group at once (a crash); resolves once it has exited. */
  kill9(): Promise<void>;
}

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where to write the log; defaults to a file in a fresh temp dir. */
  logFile: string;
}

const live = new Set<ChildProcess>();

// A vitest worker that dies or is torn down must not leave registries or dockerd behind.
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group may already be gone; the exit event settles the state.
  }
}

/** Starts a long-running process in its own process group, logging to `options.logFile`. */
export function startDaemon(name: string, command: string, args: string[], options: DaemonOptions): Daemon {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      log.write(`\n[spawn error] ${error.message}\n`);
      live.delete(child);
      resolve(null);
    });
    child.once('exit', (code) => {
      live.delete(child);
      // Let the pipes drain before closing the log.
      setTimeout(() => log.end(), 50);
      resolve(code);
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;

  return {
    name,
    pid,
    logFile: options.logFile,
    exited,
    logs: () => {
      try {
        return readFileSync(options.logFile, 'utf8');
      } catch {
        return '';
      }
    },
    running: () => child.exitCode === null && child.signalCode === null,
    async stop(graceMs = 5_000) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Children of the daemon (dockerd's containerd, for one) share the group.
      killGroup(child, 'SIGKILL');
    },
    async kill9() {
      killGroup(child, 'SIGKILL');
      await exited;
    },
  };
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command after this long; default 5 minutes. */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
  /** Written to the command's stdin (e.g. `docker login --password-stdin`); stdin is empty otherwise. */
  input?: string | Buffer;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs a command to completion; throws with its output when it fails unless `allowFailure`. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    live.add(child);
    child.stdin?.end(options.input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const timeoutMs = options.timeoutMs ?? 300_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      const result: RunResult = {
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: performance.now() - started,
      };
      if (timedOut) {
        reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms\n${result.stderr}`));
      } else if (code !== 0 && !options.allowFailure) {
        reject(
          new Error(`${command} ${args.join(' ')} exited with ${code}\n${result.stderr}\n${result.stdout}`.trim()),
        );
      } else {
        resolve(result);
      }
    });
  });
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A fresh directory under the OS temp dir; `remove()` deletes it and everything in it. */
export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
}

export async function makeTempDir(prefix: string): Promise<TempDir> {
  // Short names (unix socket paths must stay under 108 bytes) in lower case (podman derives
  // image names from `oci:` paths, and image names must be lower case).
  let path = '';
  for (let attempt = 0; ; attempt += 1) {
    path = join(tmpdir(), `berth-${prefix}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(path, { mode: 0o700 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 10) throw error;
    }
  }
  return {
    path,
    remove: () => rm(path, { recursive: true, force: true, maxRetries: 3 }),
  };
}
