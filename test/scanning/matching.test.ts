import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { scanArtifact } from '../../functions/scanning/image-scan.js';
import { osvDocuments } from '../../functions/scanning/osv-archive.js';
import { matchInventory, summarize } from '../../functions/scanning/report.js';
import { VulnDb, cachedLookup } from '../../functions/scanning/vuln-db.js';
import { gzipLayer, imageOf, memorySource } from './support/layers.js';
import { importOsv } from '../../functions/scanning/vuln-db-import.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const dpkgStatus = readFileSync('/var/lib/dpkg/status', 'utf8');

/** This machine's dpkg database with libc6 (source glibc) set back to a version before DSA-5514-1's fix. */
function downgradedStatus(): string {
  return dpkgStatus.replace(/(Package: libc6\n(?:[^\n]+\n)*?Version: )[^\n]+/, '$12.36-9+deb12u1');
}

let dir: string;
let table: SqliteTable;
let db: VulnDb;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-scan-'));
  table = new SqliteTable(':memory:');
  db = new VulnDb(table);
});
afterAll(() => {
  table.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OSV import', () => {
  test('a directory: every record stored per ecosystem and package; a broken file is skipped and named', async () => {
    const osv = join(dir, 'osv');
    execFileSync('cp', ['-r', join(fixtures, 'osv'), osv]);
    copyFileSync(join(fixtures, 'broken-osv.json'), join(osv, 'broken.json'));
    const result = await importOsv(table, osvDocuments(osv), 'fixtures');
    expect(result.records).toBe(8);
    expect(result.skipped).toEqual([{ name: join(osv, 'broken.json'), error: expect.stringMatching(/^not JSON/) }]);
    expect((await db.advisories('npm', 'lodash')).map((a) => a.id).sort()).toEqual(['GHSA-35jh-r3h4-6jhm', 'GHSA-jf85-cpcp-j695', 'GHSA-p6mc-m468-83gw']);
    expect((await db.advisories('npm', 'lodash-es')).map((a) => a.id)).toEqual(['GHSA-jf85-cpcp-j695']);
    expect((await db.advisories('Debian:12', 'glibc')).map((a) => a.id).sort()).toEqual(['DEBIAN-CVE-2010-4756', 'DSA-5514-1']);
    expect((await db.advisories('Debian:11', 'glibc')).map((a) => a.id)).toEqual(['DEBIAN-CVE-2019-1010022']);
    expect((await db.meta())?.advisories).toBe(9);
  });

  test('an export zip, and re-importing changes the generation but not the data', async () => {
    const zip = join(dir, 'all.zip');
    execFileSync('python3', ['-c', 'import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)\nfor f in sorted(os.listdir(sys.argv[2])): z.write(os.path.join(sys.argv[2], f), f)\nz.close()', zip, join(fixtures, 'osv')]);
    const before = await db.meta();
    const result = await importOsv(table, osvDocuments(zip), 'all.zip');
    expect(result).toEqual({ records: 8, advisories: 9, skipped: [] });
    expect((await db.meta())?.generation).not.toBe(before?.generation);
    expect((await db.advisories('npm', 'lodash')).length).toBe(3);
  });

  test('a withdrawn record removes what an earlier import stored', async () => {
    const record = JSON.parse(readFileSync(join(fixtures, 'osv', 'GHSA-vh95-rmgr-6w4m.json'), 'utf8'));
    expect((await db.advisories('npm', 'minimist')).length).toBe(1);
    const result = await importOsv(table, (async function* () {
      yield { name: 'withdrawn', text: JSON.stringify({ ...record, withdrawn: '2024-01-01T00:00:00Z' }) };
    })(), 'test');
    expect(result.records).toBe(1);
    expect(await db.advisories('npm', 'minimist')).toEqual([]);
    await importOsv(table, (async function* () {
      yield { name: 'again', text: JSON.stringify(record) };
    })(), 'test');
  });
});

describe('matching', () => {
  test('a realistic Debian 12 image: glibc before the DSA-5514-1 fix, plus an unfixed glibc CVE; Debian:11 data stays out', async () => {
    const image = imageOf([
      await gzipLayer([
        { name: 'usr/lib/os-release', body: readFileSync('/usr/lib/os-release') },
        { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { name: 'var/lib/dpkg/status', body: downgradedStatus() },
      ]),
    ]);
    const inventory = await scanArtifact(memorySource(image), image.digest);
    const findings = await matchInventory(inventory, cachedLookup(db));
    const libc = findings.filter((f) => f.package === 'libc6');
    expect(libc.map((f) => [f.id, f.version, f.fix_version, f.severity])).toEqual([
      ['DEBIAN-CVE-2010-4756', '2.36-9+deb12u1', '', 'Unknown'],
      ['DSA-5514-1', '2.36-9+deb12u1', '2.36-9+deb12u3', 'Unknown'],
    ]);
    expect(findings.some((f) => f.id === 'DEBIAN-CVE-2019-1010022')).toBe(false);
    // Every other glibc binary package (libc-bin, ...) is at this machine's current version: past the fix.
    const others = findings.filter((f) => f.id === 'DSA-5514-1' && f.package !== 'libc6');
    expect(others).toEqual([]);
    expect(findings.filter((f) => f.id === 'DEBIAN-CVE-2010-4756').length).toBeGreaterThan(1);
  });

  test('npm lockfile: semver ranges, the lowest fix above the installed version, CVSS v3 severities', async () => {
    const lock = { lockfileVersion: 3, packages: { '': {}, 'node_modules/lodash': { version: '4.17.15' }, 'node_modules/minimist': { version: '1.2.0' }, 'node_modules/x/node_modules/minimist': { version: '1.2.6' } } };
    const image = imageOf([await gzipLayer([{ name: 'app/package-lock.json', body: JSON.stringify(lock) }])]);
    const findings = await matchInventory(await scanArtifact(memorySource(image), image.digest), cachedLookup(db));
    expect(findings.map((f) => [f.id, f.package, f.version, f.fix_version, f.severity, f.preferred_cvss?.score_v3])).toEqual([
      ['GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.15', '4.17.21', 'High', 7.2],
      ['GHSA-p6mc-m468-83gw', 'lodash', '4.17.15', '4.17.19', 'High', 7.4],
      ['GHSA-vh95-rmgr-6w4m', 'minimist', '1.2.0', '1.2.2', 'Medium', undefined],
    ]);
    expect(summarize(findings)).toEqual({ total: 3, fixable: 3, summary: { High: 2, Medium: 1 } });
  });

  test('Alpine: apk ordering on the source package', async () => {
    const image = imageOf([
      await gzipLayer([
        { name: 'etc/os-release', body: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n' },
        { name: 'lib/apk/db/installed', body: 'P:libssl3\nV:3.1.3-r0\no:openssl\n\nP:libcrypto3\nV:3.1.4-r0\no:openssl\n' },
      ]),
    ]);
    const findings = await matchInventory(await scanArtifact(memorySource(image), image.digest), cachedLookup(db));
    expect(findings.map((f) => [f.id, f.package, f.fix_version])).toEqual([['ALPINE-CVE-2023-5363', 'libssl3', '3.1.4-r0']]);
  });
});
