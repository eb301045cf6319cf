/**
 * Alpine's apk version ordering (apk-tools `apk_version_compare`). A version is
 * `number(.number)*[letter](_suffix[number])*[-r<number>]`; it is read as a run of tokens and two
 * versions compare token by token. Where one runs out first, what follows decides: another number
 * or letter, a post-release suffix (`_cvs`, `_svn`, `_git`, `_hg`, `_p`) or a revision make it
 * newer; a pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`) makes it older.
 */

const preSuffixes = ['alpha', 'beta', 'pre', 'rc'] as const;
const postSuffixes = ['cvs', 'svn', 'git', 'hg', 'p'] as const;

/** Token kinds, in apk's order: where two versions differ in kind, the higher kind is older. */
const enum Kind {
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  Revision = 4,
  End = 5,
}

interface Token {
  kind: Kind;
  /** Digits: the number (or the digit string when it is a fraction, see below). */
  value: number | string;
  /** For a suffix: negative for pre-release, positive for post-release. */
  rank?: number;
}

/** Tokens of a version; null when apk would not accept it. */
export function tokenizeApkVersion(text: string): Token[] | null {
  const version = text.trim();
  const tokens: Token[] = [];
  const main = /^([0-9]+)((?:\.[0-9]+)*)([a-z])?/.exec(version);
  if (!main) return null;
  tokens.push({ kind: Kind.Digit, value: Number(main[1]) });
  for (const part of (main[2] ?? '').split('.').slice(1)) {
    // apk compares a later component with a leading zero as a decimal fraction (1.02 < 1.1).
    tokens.push({ kind: Kind.Digit, value: part.startsWith('0') ? `0.${part}` : Number(part) });
  }
  if (main[3]) tokens.push({ kind: Kind.Letter, value: main[3].charCodeAt(0) });
  let rest = version.slice(main[0].length);
  for (;;) {
    const suffix = /^_([a-z]+)([0-9]*)/.exec(rest);
    if (!suffix) break;
    const name = suffix[1]!;
    const pre = preSuffixes.indexOf(name as (typeof preSuffixes)[number]);
    const post = postSuffixes.indexOf(name as (typeof postSuffixes)[number]);
    if (pre < 0 && post < 0) return null;
    tokens.push({ kind: Kind.Suffix, value: 0, rank: pre >= 0 ? pre - preSuffixes.length : post + 1 });
    if (suffix[2]) tokens.push({ kind: Kind.Digit, value: Number(suffix[2]) });
    rest = rest.slice(suffix[0].length);
  }
  const revision = /^-r([0-9]+)$/.exec(rest);
  if (revision) {
    tokens.push({ kind: Kind.Revision, value: Number(revision[1]) });
  } else if (rest !== '') {
    return null;
  }
  tokens.push({ kind: Kind.End, value: 0 });
  return tokens;
}

function compareValues(a: Token, b: Token): number {
  if (a.kind === Kind.Suffix) return Math.sign(a.rank! - b.rank!);
  if (typeof a.value === 'string' || typeof b.value === 'string') {
    const x = String(a.value);
    const y = String(b.value);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Math.sign(a.value - b.value);
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; throws on a malformed version. */
export function compareApkVersions(a: string, b: string): number {
  const ta = tokenizeApkVersion(a);
  const tb = tokenizeApkVersion(b);
  if (!ta) throw new RangeError(`not an apk version: ${a}`);
  if (!tb) throw new RangeError(`not an apk version: ${b}`);
  let i = 0;
  for (; i < ta.length && i < tb.length; i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x.kind !== y.kind) {
      // One version goes on where the other has something else (or ends): a pre-release suffix
      // is older than anything, otherwise the kind that comes earlier in apk's order is newer.
      if (x.kind === Kind.Suffix && x.rank! < 0) return -1;
      if (y.kind === Kind.Suffix && y.rank! < 0) return 1;
      return x.kind > y.kind ? -1 : 1;
    }
    if (x.kind === Kind.End) return 0;
    const c = compareValues(x, y);
    if (c !== 0) return c;
  }
  return 0;
}
