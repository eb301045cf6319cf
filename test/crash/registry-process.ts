import { spawn, type ChildProcess } from 'node:child_process';
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
  private crashing = false;
  private exitedOnItsOwn = false;

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
      child.once('exit', () => {
        if (!this.crashing) this.exitedOnItsOwn = true;
        resolve();
      });
    });
  }

  /** Starts the server on `dataDir` and resolves once it listens. */
  static async start(dataDir: string): Promise<RegistryProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', 'functions/entry/server.ts'], {
        cwd: repositoryRoot,
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', BERTH_DATA_DIR: dataDir, NODE_OPTIONS: '' },
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
    while (Date.now() < deadline && !this.exitedOnItsOwn) {
      if (this.output.includes('berth listening')) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  /** SIGKILL, then wait until the process is gone. */
  async crash(): Promise<void> {
    this.crashing = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Sends SIGKILL without waiting: for a kill scheduled from inside a request's callback. */
  crashNow(): void {
    this.crashing = true;
    this.child.kill('SIGKILL');
  }

  get gone(): Promise<void> {
    return this.exited;
  }

  /** True when the process ended without being killed by this test: a crash of its own. */
  get diedOnItsOwn(): boolean {
    return this.exitedOnItsOwn;
  }

  /** The last lines the server wrote, for failure messages. */
  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }
}
