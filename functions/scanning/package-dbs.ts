import validVersion from 'semver/functions/valid.js';
import { ScanError } from './scan-common.js';

/** One installed package as a scan found it. */
export interface InstalledPackage {
  /** The name the package manager shows (dpkg's binary package, apk's `P:`, npm's name). */
  name: string;
  version: string;
  /** OSV ecosystem it is matched in (`Debian:12`, `Alpine:v3.19`, `npm`); absent when unknown. */
  ecosystem?: string;
  /** The source package advisories name (Debian and Alpine advisories are per source package). */
  source?: string;
  sourceVersion?: string;
  /** Where it was found in the image. */
  path: string;
  /** Package-url, for the SBOM. */
  purl: string;
  type: 'deb' | 'apk' | 'npm';
  license?: string;
}

export interface OsRelease {
  id: string;
  versionId?: string;
  prettyName?: string;
  version?: string;
}

function hasBinaryGarbage(text: string): boolean {
  return text.includes('\u0000') || text.includes('\ufffd');
}

/** os-release (freedesktop.org): `KEY=value` lines, values optionally quoted. */
export function parseOsRelease(text: string): OsRelease | null {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    fields.set(match[1]!, value.replace(/\\(.)/g, '$1'));
  }
  const id = fields.get('ID');
  if (!id) return null;
  return { id, versionId: fields.get('VERSION_ID'), prettyName: fields.get('PRETTY_NAME'), version: fields.get('VERSION') };
}

/**
 * The OSV ecosystem of an OS: `Debian:12`, `Ubuntu:22.04` (`Ubuntu:22.04:LTS` for LTS releases,
 * as OSV names them), `Alpine:v3.19`. Null when the OS or its release is not one OSV covers.
 */
export function ecosystemOf(os: OsRelease | null): string | null {
  if (!os || !os.versionId) return null;
  switch (os.id) {
    case 'debian':
      return `Debian:${os.versionId.split('.')[0]}`;
    case 'ubuntu':
      return os.version?.includes('LTS') ? `Ubuntu:${os.versionId}:LTS` : `Ubuntu:${os.versionId}`;
    case 'alpine': {
      const [major, minor] = os.versionId.split('.');
      return minor === undefined ? null : `Alpine:v${major}.${minor}`;
    }
    default:
      return null;
  }
}

/** RFC 822-style stanzas (dpkg's control format); garbage lines make the whole file refused. */
function stanzas(text: string, path: string): Map<string, string>[] {
  if (hasBinaryGarbage(text)) throw new ScanError(`${path} is not a dpkg database (binary data)`);
  const out: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | null = null;
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim() === '') {
      if (current.size > 0) out.push(current);
      current = new Map();
      last = null;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === null) throw new ScanError(`${path}:${lineNumber}: continuation line outside a field`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(line.slice(0, colon))) {
      throw new ScanError(`${path}:${lineNumber}: not a dpkg control field`);
    }
    last = line.slice(0, colon);
    current.set(last, line.slice(colon + 1).trim());
  }
  if (current.size > 0) out.push(current);
  return out;
}

/**
 * dpkg's status database (`/var/lib/dpkg/status`, or one file of distroless `status.d/`): the
 * installed packages, each with its source package (`Source: name` or `Source: name (version)`).
 */
export function parseDpkgStatus(text: string, path: string, ecosystem: string | null, requireStatus: boolean): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  const all = stanzas(text, path);
  for (const fields of all) {
    const name = fields.get('Package');
    if (!name) throw new ScanError(`${path}: a stanza without Package`);
    const status = fields.get('Status');
    if (requireStatus && !(status && status.split(/\s+/)[2] === 'installed')) continue;
    const version = fields.get('Version');
    if (!version) throw new ScanError(`${path}: installed package ${name} has no Version`);
    const sourceField = fields.get('Source');
    const source = sourceField ? /^(\S+)(?:\s+\((\S+)\))?$/.exec(sourceField) : null;
    const arch = fields.get('Architecture');
    const distro = ecosystem ? ecosystem.split(':')[0]!.toLowerCase() : 'debian';
    packages.push({
      name,
      version,
      ...(ecosystem ? { ecosystem } : {}),
      source: source?.[1] ?? name,
      sourceVersion: source?.[2] ?? version,
      path,
      purl: `pkg:deb/${distro}/${encodeURIComponent(name)}@${encodeURIComponent(version)}${arch ? `?arch=${encodeURIComponent(arch)}` : ''}`,
      type: 'deb',
    });
  }
  return packages;
}

/** apk's installed database (`/lib/apk/db/installed`): `X:value` lines, stanzas split by blank lines. */
export function parseApkInstalled(text: string, path: string, ecosystem: string | null): InstalledPackage[] {
  if (hasBinaryGarbage(text)) throw new ScanError(`${path} is not an apk database (binary data)`);
  const packages: InstalledPackage[] = [];
  let fields = new Map<string, string>();
  let lineNumber = 0;
  const flush = () => {
    if (fields.size === 0) return;
    const name = fields.get('P');
    const version = fields.get('V');
    if (!name || !version) throw new ScanError(`${path}: a package without P: or V: before line ${lineNumber}`);
    const arch = fields.get('A');
    packages.push({
      name,
      version,
      ...(ecosystem ? { ecosystem } : {}),
      source: fields.get('o') ?? name,
      sourceVersion: version,
      path,
      purl: `pkg:apk/alpine/${encodeURIComponent(name)}@${encodeURIComponent(version)}${arch ? `?arch=${encodeURIComponent(arch)}` : ''}`,
      type: 'apk',
      ...(fields.get('L') ? { license: fields.get('L')! } : {}),
    });
    fields = new Map();
  };
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (!/^[A-Za-z]:/.test(line)) throw new ScanError(`${path}:${lineNumber}: not an apk database line`);
    const key = line[0]!;
    if (!fields.has(key)) fields.set(key, line.slice(2));
  }
  flush();
  return packages;
}

function npmPurl(name: string, version: string): string {
  const [scope, bare] = name.startsWith('@') ? name.split('/') : [undefined, name];
  return `pkg:npm/${scope ? `${encodeURIComponent(scope)}/` : ''}${encodeURIComponent(bare ?? name)}@${encodeURIComponent(version)}`;
}

/**
 * npm's package-lock.json: v2/v3 (`packages`, keyed by install path) and v1 (`dependencies`,
 * nested). Linked workspaces and entries whose version is not a registry version (git, file) are
 * left out: no advisory names them.
 */
export function parsePackageLock(text: string, path: string): InstalledPackage[] {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch {
    throw new ScanError(`${path} is not valid JSON`);
  }
  if (!lock || typeof lock !== 'object') throw new ScanError(`${path} is not a package-lock object`);
  const found = new Map<string, InstalledPackage>();
  const add = (name: string, version: unknown) => {
    if (typeof version !== 'string' || !validVersion(version, { loose: true }) || name === '') return;
    const key = `${name}@${version}`;
    if (!found.has(key)) found.set(key, { name, version, ecosystem: 'npm', path, purl: npmPurl(name, version), type: 'npm' });
  };
  const { packages, dependencies } = lock as { packages?: unknown; dependencies?: unknown };
  if (packages && typeof packages === 'object') {
    for (const [key, entry] of Object.entries(packages as Record<string, unknown>)) {
      if (key === '' || !entry || typeof entry !== 'object') continue;
      const e = entry as { name?: unknown; version?: unknown; link?: unknown };
      if (e.link === true) continue;
      const at = key.lastIndexOf('node_modules/');
      const name = typeof e.name === 'string' ? e.name : at >= 0 ? key.slice(at + 'node_modules/'.length) : '';
      add(name, e.version);
    }
  } else if (dependencies && typeof dependencies === 'object') {
    const walk = (deps: Record<string, unknown>, depth: number) => {
      if (depth > 64) return;
      for (const [name, entry] of Object.entries(deps)) {
        if (!entry || typeof entry !== 'object') continue;
        const e = entry as { version?: unknown; dependencies?: unknown };
        add(name, e.version);
        if (e.dependencies && typeof e.dependencies === 'object') walk(e.dependencies as Record<string, unknown>, depth + 1);
      }
    };
    walk(dependencies as Record<string, unknown>, 0);
  } else {
    throw new ScanError(`${path} has neither "packages" nor "dependencies"`);
  }
  return [...found.values()];
}
