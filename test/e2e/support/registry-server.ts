/**
 * What a test needs from a registry it talks to over HTTP, whichever implementation serves it.
 */
import type { Daemon } from './process.js';

export type RegistryKind = 'berth' | 'distribution';

export interface RegistryServer {
  readonly kind: RegistryKind;
  /** `127.0.0.1:PORT`, the form image references use. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Where the registry keeps its data; survives {@link restart}. */
  readonly dataDir: string;
  /** Optional spec features the implementation serves (Distribution 2.8 has no referrers API). */
  readonly supports: { readonly referrers: boolean };
  /** The currently running process. */
  process(): Daemon;
  /** All log output of every process started so far. */
  logs(): string;
  /** SIGKILL the server (a crash); the data dir is kept. */
  kill9(): Promise<void>;
  /** Start a new process on the same port and data dir; waits until `GET /v2/` answers. */
  restart(): Promise<void>;
  /** Stop the server and delete its data dir. */
  stop(): Promise<void>;
}

/** Waits until `GET /v2/` answers with any HTTP status (200, or 401 when auth is on). */
export async function waitForV2(url: string, daemon: Daemon, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!daemon.running()) {
      throw new Error(`${daemon.name} exited before answering GET /v2/:\n${daemon.logs().slice(-4000)}`);
    }
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(`${daemon.name} did not answer GET /v2/ within ${timeoutMs} ms:\n${daemon.logs().slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
