import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SendResult {
  /** The receiver's status, absent when no answer came (refused, DNS, TLS, timeout). */
  status?: number;
  /** Why it failed, in a line; absent on 2xx. */
  error?: string;
}

/**
 * POSTs one webhook body. node:http(s) rather than fetch because a target may skip certificate
 * verification (`rejectUnauthorized: false`), which fetch cannot do without a dispatcher package.
 * The whole exchange is bounded by `timeoutMs`; the response body is read and discarded. Never
 * rejects: the outcome is in the result.
 */
export function sendWebhook(
  address: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; skipCertVerify: boolean },
): Promise<SendResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      resolve({ error: `invalid address ${address}` });
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(url.protocol === 'https:' ? { rejectUnauthorized: !options.skipCertVerify } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? { status } : { status, error: `the receiver answered ${status}` });
        });
        res.on('error', (error) => done({ status: res.statusCode, error: error.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ error: `no answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    req.on('error', (error) => done({ error: error.message }));
    req.end(body);
  });
}
