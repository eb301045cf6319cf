/**
 * Debian version ordering, as dpkg compares versions (Debian Policy 5.6.12):
 * `[epoch:]upstream[-revision]`. The epoch compares as a number; upstream and revision compare
 * alternately by non-digit runs (letters sort before everything but `~`, which sorts before even
 * the end of the string) and digit runs (as numbers). Ubuntu uses the same ordering.
 */

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Parses a version; null when it is not one dpkg would accept. */
export function parseDebianVersion(text: string): DebianVersion | null {
  const value = text.trim();
  if (value === '' || /\s/.test(value)) return null;
  let epoch = 0;
  let rest = value;
  const colon = value.indexOf(':');
  if (colon >= 0) {
    const epochText = value.slice(0, colon);
    if (!/^[0-9]+$/.test(epochText)) return null;
    epoch = Number(epochText);
    rest = value.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '' || !/^[0-9]/.test(upstream)) return null;
  if (!/^[A-Za-z0-9.+~:-]+$/.test(upstream) || !/^[A-Za-z0-9.+~]*$/.test(revision)) return null;
  return { epoch, upstream, revision };
}

/** Weight of one character in a non-digit run: `~` lowest, then end of run, letters, the rest. */
function order(code: number | undefined): number {
  if (code === undefined) return 0;
  if (code === 0x7e) return -1;
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return code;
  if (code >= 0x30 && code <= 0x39) return 0;
  return code + 256;
}

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 0x30 && code <= 0x39;
}

/** dpkg's `verrevcmp` on one part (upstream or revision). */
function compareParts(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(i < a.length ? a.charCodeAt(i) : undefined);
      const bc = order(j < b.length ? b.charCodeAt(j) : undefined);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

export function compareDebianParsed(a: DebianVersion, b: DebianVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const upstream = compareParts(a.upstream, b.upstream);
  if (upstream !== 0) return Math.sign(upstream);
  return Math.sign(compareParts(a.revision, b.revision));
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; throws on a malformed version. */
export function compareDebianVersions(a: string, b: string): number {
  const pa = parseDebianVersion(a);
  const pb = parseDebianVersion(b);
  if (!pa) throw new RangeError(`not a Debian version: ${a}`);
  if (!pb) throw new RangeError(`not a Debian version: ${b}`);
  return compareDebianParsed(pa, pb);
}
