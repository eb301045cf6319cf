import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPublicKey, X509Certificate } from 'node:crypto';
import type { CosignLayer } from '../../../functions/trust/cosign-signature.js';
import { cosignAnnotations } from '../../../functions/trust/media-types.js';

const dir = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(path: string): Buffer {
  return readFileSync(`${dir}${path}`);
}

export function fixtureText(path: string): string {
  return fixture(path).toString('utf8');
}

/**
 * A cosign signature layer as containers/image stores it on disk (see fixtures/README.md): a NUL
 * byte, `sigstore-json\n`, then `{"mimeType","payload","annotations"}`.
 */
export function cosignFixture(path: string): { layer: CosignLayer; payload: Buffer; annotations: Record<string, string>; mimeType: string } {
  const raw = fixture(path);
  const json = JSON.parse(raw.subarray(raw.indexOf('{')).toString('utf8')) as { mimeType: string; payload: string; annotations: Record<string, string> };
  const payload = Buffer.from(json.payload, 'base64');
  return {
    payload,
    annotations: json.annotations,
    mimeType: json.mimeType,
    layer: {
      payload,
      signature: json.annotations[cosignAnnotations.signature],
      certificate: json.annotations[cosignAnnotations.certificate],
      chain: json.annotations[cosignAnnotations.chain],
      rekorBundle: json.annotations[cosignAnnotations.rekorBundle],
    },
  };
}

export const publicKeyFixture = (path: string) => createPublicKey(fixtureText(path));
export const certificateFixture = (path: string) => new X509Certificate(fixtureText(path));
