import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { apiVersionHeader } from '../routes/v2/http.js';

/** What Node's HTTP parser reports, and what Berth answers in its place. */
const answers: Record<string, { status: number; reason: string; code: string; message: string }> = {
  // The connection ended before Content-Length bytes of body arrived.
  HPE_INVALID_EOF_STATE: { status: 400, reason: 'Bad Request', code: 'SIZE_INVALID', message: 'the request body ended before the Content-Length it declared' },
  HPE_INVALID_CONTENT_LENGTH: { status: 400, reason: 'Bad Request', code: 'SIZE_INVALID', message: 'malformed Content-Length' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { status: 400, reason: 'Bad Request', code: 'SIZE_INVALID', message: 'Content-Length together with chunked Transfer-Encoding' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', code: 'UNSUPPORTED', message: 'request headers too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', code: 'UNSUPPORTED', message: 'the request took too long to arrive' },
};

/**
 * Requests Node's parser refuses before any route sees them get the registry's error body and
 * API-version header instead of Node's bare `400 Bad Request`: a body shorter than its
 * Content-Length, and the bytes of a body longer than it, which HTTP reads as the start of a
 * next, malformed request. When the body of the request in flight came up short, the refusal is
 * its answer (its route, still waiting for the rest, then sees the connection close and gives
 * back what it wrote); when bytes after a complete request are malformed, the refusal follows
 * that request's response. Either way the connection closes.
 */
export function answerClientErrors(server: { on(event: 'clientError', listener: (error: Error & { code?: string }, socket: Socket) => void): unknown }): void {
  server.on('clientError', (error, socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = answers[error.code ?? ''] ?? {
      status: 400,
      reason: 'Bad Request',
      code: 'SIZE_INVALID',
      message: 'malformed request (bytes past the previous body\'s Content-Length are read as a new request)',
    };
    const bodyCameShort = error.code === 'HPE_INVALID_EOF_STATE';
    if (inFlight && inFlight.headersSent && bodyCameShort) {
      socket.destroy();
      return;
    }
    if (inFlight && !inFlight.writableFinished && !bodyCameShort) {
      inFlight.once('finish', () => socket.end(rawResponse(answer)));
      inFlight.once('close', () => {
        if (!inFlight.writableFinished) socket.destroy();
      });
      return;
    }
    socket.end(rawResponse(answer));
  });
}

function rawResponse(answer: { status: number; reason: string; code: string; message: string }): string {
  const body = JSON.stringify({ errors: [{ code: answer.code, message: answer.message }] });
  const headers = [
    `HTTP/1.1 ${answer.status} ${answer.reason}`,
    'Content-Type: application/json; charset=utf-8',
    ...Object.entries(apiVersionHeader).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}
