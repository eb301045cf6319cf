/** The request never got an answer because the test killed the server: the operation is in doubt. */
export class Interrupted extends Error {
  constructor(label: string) {
    super(`${label}: interrupted by the kill`);
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
  /** Keep the body for the caller; otherwise it is drained so the connection can be reused. */
  keepBody?: boolean;
}

/** fetch against whichever registry process is current, telling a kill apart from a bug. */
export class Client {
  constructor(
    private readonly baseUrl: () => string,
    private readonly killed: () => boolean,
  ) {}

  async send(label: string, path: string, options: SendOptions): Promise<Response> {
    const { expect, keepBody, ...init } = options;
    const method = init.method ?? 'GET';
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl()}${path}`, { redirect: 'manual', ...init });
    } catch (error) {
      if (this.killed()) throw new Interrupted(label);
      throw new Failure(`${label}: ${method} ${path} failed with no kill under way: ${String((error as Error).cause ?? error)}`);
    }
    if (!expect.includes(response.status)) {
      const text = await response.text().catch(() => '');
      throw new Failure(`${label}: ${method} ${path} answered ${response.status}, expected ${expect.join(' or ')}: ${text.slice(0, 400)}`);
    }
    if (!keepBody) await response.arrayBuffer().catch(() => undefined);
    return response;
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
