import { isIPv4, isIPv6 } from 'node:net';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';

/** What a request's address is keyed as when nothing tells it (`app.request` in tests). */
export const unknownAddress = 'unknown';

/**
 * The client address of a request, as login throttling keys it. The peer is what the runtime
 * saw (the Node server's socket, API Gateway's `sourceIp`), injected by the entry point as
 * `deps.peerAddress`. X-Forwarded-For is anyone's to write, so it counts only when the deployment
 * says how many proxies in front of it append to it (`trustedProxyHops`): then the entry that many
 * places from the right is the client, as the nearest trusted proxy saw it.
 */
export function clientAddressOf(c: Context<AppEnv>): string {
  const deps = c.get('deps');
  const peer = deps.peerAddress?.(c);
  return addressKey(resolveClientAddress(peer, c.req.header('x-forwarded-for'), deps.config.trustedProxyHops ?? 0));
}

export function resolveClientAddress(peer: string | undefined, forwardedFor: string | undefined, trustedHops: number): string {
  if (trustedHops > 0 && forwardedFor) {
    const chain = forwardedFor
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    // Each trusted proxy appends the address it saw; further left is what the client claimed.
    const candidate = chain[chain.length - trustedHops];
    if (candidate && (isIPv4(candidate) || isIPv6(candidate))) return candidate;
  }
  return peer && peer !== '' ? peer : unknownAddress;
}

/**
 * The key of an address: an IPv4 address as is (also when it arrives IPv4-mapped, `::ffff:a.b.c.d`),
 * an IPv6 address by its /64, the block one subscriber usually holds whole, so that stepping through
 * the addresses of one's own prefix does not reset the counters.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros (`::` expanded, zone dropped). */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.split('%')[0]!.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => (/^[0-9a-f]+$/i.test(group) ? Number.parseInt(group, 16).toString(16) : group));
}
