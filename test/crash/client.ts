/**
 * The request got no answer: the test killed the server, or the connection dropped. Either way
 * nothing was acknowledged and the operation is in doubt, to be repeated after the next restart.
 */
export class Interrupted extends Error {
  constructor(label: string, reason: string) {
    super(`${label}: ${reason}`);
    this.name = 'Interrupted';
  }
}

/** The registry answered something it must not (or failed while nobody was killing it). */
export class Failure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Failure';
  }
}

export interface SendOptions extends RequestInit {
  /** Statuses that count as the registry doing its job; anything else is a Failure. */
  expect: number[];
}

/**
 * fetch against whichever registry process is current. A request with no answer while no kill is
 * under way is reported to `dropped` (a connection a live server closed, seen about once in 50
 * rounds on a heavily loaded machine; a server that died on its own is caught by its exit status).
 */
export class Client {
  constructor(
    private readonly baseUrl: () => string,
    private readonly killed: () => boolean,
    private readonly dropped: (what: string) => void,
  ) {}

  async send(label: string, path: string, options: SendOptions): Promise<Response> {
    const { expect, ...init } = options;
    const method = init.method ?? 'GET';
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl()}${path}`, { redirect: 'manual', ...init });
    } catch (error) {
      if (this.killed()) throw new Interrupted(label, 'interrupted by the kill');
      const reason = `no answer with no kill under way: ${String((error as Error).cause ?? error)}`;
      this.dropped(`${label}: ${method} ${path}: ${reason}`);
      throw new Interrupted(label, reason);
    }
    if (!expect.includes(response.status)) {
      const text = await response.text().catch(() => '');
      throw new Failure(`${label}: ${method} ${path} answered ${response.status}, expected ${expect.join(' or ')}: ${text.slice(0, 400)}`);
    }
    // Only headers matter here; draining the body lets the connection be reused.
    await response.arrayBuffer().catch(() => undefined);
    return response;
  }
}

/** fetch for reads (GET, HEAD), tried again on a dropped connection as any client would. */
export async function read(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** A client's way of adding `digest=` to an upload Location that may carry a query already. */
export function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

/** A body streamed in `chunkSize` pieces, reporting how far it got (as chunked transfer encoding). */
export function streamOf(bytes: Uint8Array, onProgress: (sent: number) => void = () => undefined, chunkSize = 1024 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.byteLength) {
        controller.close();
        return;
      }
      const end = Math.min(at + chunkSize, bytes.byteLength);
      controller.enqueue(bytes.slice(at, end));
      at = end;
      onProgress(at);
    },
  });
}

/** RequestInit for a streamed body (Node's fetch needs `duplex: 'half'`). */
export function streamed(init: RequestInit & { body: ReadableStream<Uint8Array> }): RequestInit {
  return { ...init, duplex: 'half' } as RequestInit;
}
