import { expect } from 'vitest';
import type { Content } from './content.js';
import type { Target } from './target.js';

/** The client side of the spec's flows, kept small: each step a test would otherwise repeat. */

/** The spec's error codes (spec "Error Codes", code-1 … code-14). */
export const specErrorCodes = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
] as const;
export type SpecErrorCode = (typeof specErrorCodes)[number];

/**
 * Adds query parameters to an upload `Location` the way clients do: the location may already carry
 * a query string of its own (a session token), which must survive. Relative stays relative.
 */
export function withQuery(location: string, params: Record<string, string>): string {
  const relative = !/^[a-z][a-z0-9+.-]*:/i.test(location);
  const url = new URL(location, 'http://relative.invalid');
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return relative ? `${url.pathname}${url.search}` : url.toString();
}

/** The path of a `Location`, absolute or relative, for comparing with what the spec names. */
export function locationPath(location: string): string {
  return new URL(location, 'http://relative.invalid').pathname;
}

export function requireLocation(response: Response): string {
  const location = response.headers.get('location');
  expect(location, `${response.status} response without Location`).toBeTruthy();
  return location as string;
}

/** end-4a: opens an upload session and returns its Location. */
export async function startUpload(target: Target, repository: string, init: RequestInit = {}): Promise<string> {
  const response = await target.fetch(`/v2/${repository}/blobs/uploads/`, { method: 'POST', ...init });
  expect(response.status, await explain(response)).toBe(202);
  return requireLocation(response);
}

/** end-4a then end-6: the monolithic POST-then-PUT push; returns the PUT's response. */
export async function pushBlob(target: Target, repository: string, blob: Content): Promise<Response> {
  const location = await startUpload(target, repository);
  const response = await target.fetch(withQuery(location, { digest: blob.digest }), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: blob.bytes,
  });
  expect(response.status, await explain(response)).toBe(201);
  return response;
}

export async function pushBlobs(target: Target, repository: string, blobs: Content[]): Promise<void> {
  for (const blob of blobs) await pushBlob(target, repository, blob);
}

/** end-7: pushes manifest bytes under a tag or digest with their media type. */
export function putManifest(target: Target, repository: string, reference: string, manifest: Content): Promise<Response> {
  return target.fetch(`/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': manifest.descriptor.mediaType },
    body: manifest.bytes,
  });
}

/** end-7, expecting success. */
export async function pushManifest(target: Target, repository: string, reference: string, manifest: Content): Promise<Response> {
  const response = await putManifest(target, repository, reference, manifest);
  expect(response.status, await explain(response)).toBe(201);
  return response;
}

export async function bodyBytes(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Checks a failure: its status, and a JSON body of the spec's shape whose first error carries one of
 * `codes`. Every entry must be a spec code, with `message` a string when present.
 */
export async function expectOciError(response: Response, status: number | number[], codes: SpecErrorCode | SpecErrorCode[]): Promise<void> {
  const text = await response.text();
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, `status ${response.status}: ${text}`).toContain(response.status);
  expect(response.headers.get('content-type') ?? '', `error body type: ${text}`).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
  expect(Array.isArray(body.errors) && body.errors.length > 0, text).toBe(true);
  for (const error of body.errors ?? []) {
    expect(specErrorCodes as readonly unknown[], text).toContain(error.code);
    if (error.message !== undefined) expect(typeof error.message).toBe('string');
  }
  expect(Array.isArray(codes) ? codes : [codes], text).toContain(body.errors?.[0]?.code);
}

/** A response's status and body, for assertion messages; reads a clone so the body stays usable. */
export async function explain(response: Response): Promise<string> {
  const text = await response.clone().text().catch(() => '');
  return `${response.status} ${text.slice(0, 500)}`;
}

/** Parses an RFC 5988 `Link: <url>; rel="next"` header into its URL. */
export function nextLink(response: Response): string | null {
  const header = response.headers.get('link');
  if (!header) return null;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header);
  return match?.[1] ?? null;
}
