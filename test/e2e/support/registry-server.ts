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

export interface ServedRegistry {
  kind: RegistryKind;
  port: number;
  dataDir: string;
  supports: RegistryServer['supports'];
  /** Starts one process of the registry; the `run`th of this server. */
  launch(run: number): Daemon;
  /** Frees what the server kept on disk, once it has stopped. */
  cleanup(): Promise<void>;
}

/**
 * A RegistryServer over processes started by `served.launch`: each start waits until `GET /v2/`
 * answers, a start that fails is killed, and restarts reuse the port and data dir.
 */
export async function serveRegistry(served: ServedRegistry): Promise<RegistryServer> {
  const url = `http://127.0.0.1:${served.port}`;
  let runs = 0;
  const launch = async (): Promise<Daemon> => {
    runs += 1;
    const daemon = served.launch(runs);
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
    kind: served.kind,
    host: `127.0.0.1:${served.port}`,
    url,
    dataDir: served.dataDir,
    supports: served.supports,
    process: () => current,
    logs: () => current.logs(),
    kill9: () => current.kill9(),
    async restart() {
      if (current.running()) await current.stop();
      current = await launch();
    },
    async stop() {
      await current.stop();
      await served.cleanup();
    },
  };
}
