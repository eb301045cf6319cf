/**
 * CVSS base scores from vector strings (FIRST's CVSS v3.0/v3.1 specification, section 7); their
 * qualitative ratings are in severity.ts. v3.0 vectors use the same formula; v3.1 only changed
 * the rounding helper, which is what is used here for both (v3.0's plain ceiling can differ by
 * 0.1 in rare cases). CVSS v4.0 scores come from FIRST's lookup table of macro vectors and its
 * interpolation, not a formula: metaeffekt's calculator (ae-cvss-calculator) computes them. Only
 * the vulnerability data import scores vectors, and it loads the calculator (`cvss4Ready`): a
 * process at rest never does, and the API function's bundle holds neither.
 */
type Calculator = typeof import('ae-cvss-calculator');
let calculator: Calculator | undefined;

/** Loads the CVSS v4 calculator, once; await it before `cvss4BaseScore`. */
export async function cvss4Ready(): Promise<void> {
  if (calculator) return;
  // A CommonJS package: Node's ES module loader offers it as the default export only.
  const loaded = await import('ae-cvss-calculator');
  calculator = (loaded as Calculator & { default?: Calculator }).default ?? loaded;
}

const weights = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

const privileges = {
  unchanged: { N: 0.85, L: 0.62, H: 0.27 },
  changed: { N: 0.85, L: 0.68, H: 0.5 },
} as const;

/** v3.1 Roundup: the smallest number with one decimal that is at least `value`, free of float noise. */
function roundUp(value: number): number {
  const integer = Math.round(value * 100000);
  if (integer % 10000 === 0) return integer / 100000;
  return (Math.floor(integer / 10000) + 1) / 10;
}

/** The base score of a `CVSS:3.0/...` or `CVSS:3.1/...` vector; null when malformed. */
export function cvss3BaseScore(vector: string): number | null {
  const parts = vector.trim().split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return null;
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [name, value, extra] = part.split(':');
    if (!name || !value || extra !== undefined || metrics.has(name)) return null;
    metrics.set(name, value);
  }
  const pick = <T extends Record<string, number>>(table: T, name: string): number | null => {
    const value = metrics.get(name);
    return value !== undefined && value in table ? table[value as keyof T]! : null;
  };
  const scope = metrics.get('S');
  if (scope !== 'U' && scope !== 'C') return null;
  const changed = scope === 'C';
  const av = pick(weights.AV, 'AV');
  const ac = pick(weights.AC, 'AC');
  const pr = pick(changed ? privileges.changed : privileges.unchanged, 'PR');
  const ui = pick(weights.UI, 'UI');
  const c = pick(weights.CIA, 'C');
  const i = pick(weights.CIA, 'I');
  const a = pick(weights.CIA, 'A');
  if (av === null || ac === null || pr === null || ui === null || c === null || i === null || a === null) return null;

  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return changed ? roundUp(Math.min(1.08 * (impact + exploitability), 10)) : roundUp(Math.min(impact + exploitability, 10));
}

const cvss4Metrics = {
  AV: 'NALP',
  AC: 'LH',
  AT: 'NP',
  PR: 'NLH',
  UI: 'NPA',
  VC: 'HLN',
  VI: 'HLN',
  VA: 'HLN',
  SC: 'HLN',
  SI: 'HLN',
  SA: 'HLN',
} as const;

/**
 * The base score (CVSS-B) of a `CVSS:4.0/...` vector (after `cvss4Ready()`): its eleven base metrics, each once and with
 * an allowed value (threat, environmental and supplemental metrics may follow and are left out of
 * a base score); null when malformed.
 */
export function cvss4BaseScore(vector: string): number | null {
  const parts = vector.trim().split('/');
  if (parts[0] !== 'CVSS:4.0') return null;
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [name, value, extra] = part.split(':');
    if (!name || !value || extra !== undefined || metrics.has(name)) return null;
    metrics.set(name, value);
  }
  const base: string[] = [];
  for (const [name, allowed] of Object.entries(cvss4Metrics)) {
    const value = metrics.get(name);
    if (value === undefined || value.length !== 1 || !allowed.includes(value)) return null;
    base.push(`${name}:${value}`);
  }
  if (!calculator) throw new Error('cvss4BaseScore called before cvss4Ready()');
  try {
    const score = new calculator.Cvss4P0(`CVSS:4.0/${base.join('/')}`).calculateScores().base;
    return typeof score === 'number' && score >= 0 && score <= 10 ? score : null;
  } catch {
    return null;
  }
}
