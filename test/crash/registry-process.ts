import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The embedded default (`functions/entry/server.ts`, what `npm start` runs) as a child process on a
 * free loopback port, so the test can kill it the way a crash would: SIGKILL, with no shutdown
 * handler and no chance to flush anything.
 */
export class RegistryProcess {
  private output = '';
  private readonly exited: Promise<void>;
  private killedByTest = false;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  /** Starts the server on `dataDir` and resolves once it listens. */
  static async start(dataDir: string): Promise<RegistryProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      // The embedded default as `npm start` runs it with no settings: local storage, no auth.
      const inherited = { ...process.env };
      for (const name of ['BERTH_BACKEND', 'BERTH_AUTH', 'BERTH_ADMIN_PASSWORD']) delete inherited[name];
      const child = spawn(process.execPath, ['--import', 'tsx', 'functions/entry/server.ts'], {
        cwd: repositoryRoot,
        env: { ...inherited, PORT: String(port), HOST: '127.0.0.1', BERTH_DATA_DIR: dataDir, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const registry = new RegistryProcess(`http://127.0.0.1:${port}`, child);
      const listening = await registry.listening(20_000);
      if (listening) return registry;
      await registry.crash();
      // Another process may have taken the port between our probe and the server's bind.
      if (attempt === 3 || !registry.output.includes('EADDRINUSE')) {
        throw new Error(`the registry did not start:\n${registry.output}`);
      }
    }
  }

  private async listening(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.exit) {
      if (this.output.includes('berth listening')) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  /** SIGKILL, then wait until the process is gone. */
  async crash(): Promise<void> {
    this.crashNow();
    await this.exited;
  }

  /** Sends SIGKILL without waiting: for a kill scheduled from inside a request's callback. */
  crashNow(): void {
    // A process that already died (a zombie not yet reaped, or gone) died on its own, even if
    // its exit event arrives after this kill.
    if (this.killedByTest || this.exit || !this.running()) return;
    this.killedByTest = true;
    this.child.kill('SIGKILL');
  }

  private running(): boolean {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  }

  get gone(): Promise<void> {
    return this.exited;
  }

  /**
   * How the process ended, when that was not this test's SIGKILL: a crash of its own (an exit, a
   * fatal signal such as SIGSEGV or SIGABRT, or a SIGKILL the test did not send). Null while it
   * runs or when the test killed it.
   */
  get diedOnItsOwn(): string | null {
    if (!this.exit) return null;
    if (this.exit.signal === 'SIGKILL' && this.killedByTest) return null;
    return this.exit.signal ? `signal ${this.exit.signal}` : `exit code ${this.exit.code}`;
  }

  /** The last lines the server wrote, for failure messages. */
  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }
}
