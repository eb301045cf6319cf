/**
 * The slice of CBOR (RFC 8949) a COSE_Sign1 envelope uses: unsigned and negative integers, byte and
 * text strings, arrays, maps, tags, simple values; definite lengths only, as COSE requires
 * deterministic encoding (RFC 9052 §9). No CBOR library is in Berth's dependency set and this
 * reader is all COSE verification needs; it refuses rather than guesses: indefinite lengths,
 * floats, nesting past 16 levels, lengths past the input, and trailing bytes are all errors.
 */
export type CborValue = number | bigint | string | Uint8Array | boolean | null | undefined | CborValue[] | Map<CborValue, CborValue> | CborTag;

export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

export class CborError extends Error {}

const maxDepth = 16;

export function decodeCbor(bytes: Uint8Array): CborValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const need = (n: number) => {
    if (n < 0 || offset + n > bytes.byteLength) throw new CborError('truncated CBOR');
  };
  const argument = (info: number): number | bigint => {
    if (info < 24) return info;
    if (info === 24) { need(1); return view.getUint8(offset++); }
    if (info === 25) { need(2); const v = view.getUint16(offset); offset += 2; return v; }
    if (info === 26) { need(4); const v = view.getUint32(offset); offset += 4; return v; }
    if (info === 27) { need(8); const v = view.getBigUint64(offset); offset += 8; return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
    throw new CborError('indefinite lengths and reserved encodings are not accepted');
  };
  const length = (info: number): number => {
    const n = argument(info);
    if (typeof n !== 'number') throw new CborError('CBOR length too large');
    return n;
  };
  const item = (depth: number): CborValue => {
    if (depth > maxDepth) throw new CborError('CBOR nested too deeply');
    need(1);
    const initial = view.getUint8(offset++);
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return argument(info);
      case 1: {
        const n = argument(info);
        return typeof n === 'number' ? -1 - n : -1n - n;
      }
      case 2:
      case 3: {
        const n = length(info);
        need(n);
        const chunk = bytes.subarray(offset, offset + n);
        offset += n;
        return major === 2 ? chunk : new TextDecoder('utf-8', { fatal: true }).decode(chunk);
      }
      case 4: {
        const n = length(info);
        need(n); // every element takes at least one byte: refuses absurd counts before allocating
        const list: CborValue[] = [];
        for (let i = 0; i < n; i++) list.push(item(depth + 1));
        return list;
      }
      case 5: {
        const n = length(info);
        need(n * 2);
        const map = new Map<CborValue, CborValue>();
        for (let i = 0; i < n; i++) {
          const key = item(depth + 1);
          map.set(key, item(depth + 1));
        }
        return map;
      }
      case 6:
        return new CborTag(length(info), item(depth + 1));
      default:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        throw new CborError('floats and other simple values are not accepted');
    }
  };
  const value = item(0);
  if (offset !== bytes.byteLength) throw new CborError('trailing bytes after CBOR item');
  return value;
}

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(n, 1); return b; }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** Encodes an array of text and byte strings: all a COSE Sig_structure holds. */
export function encodeCborStrings(items: (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [head(4, items.length)];
  for (const item of items) {
    const bytes = typeof item === 'string' ? Buffer.from(item, 'utf8') : Buffer.from(item);
    parts.push(head(typeof item === 'string' ? 3 : 2, bytes.byteLength), bytes);
  }
  return Buffer.concat(parts);
}
