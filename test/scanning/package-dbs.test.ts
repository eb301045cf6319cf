import { describe, expect, test } from 'vitest';
import { ecosystemOf, parseDpkgStatus, parseOsRelease } from '../../functions/scanning/package-dbs.js';

describe('dpkg status', () => {
  test('only installed packages count: removed ones with config files left behind do not', () => {
    const status = [
      'Package: openssl\nStatus: deinstall ok config-files\nVersion: 3.0.11-1~deb12u1\n',
      'Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.15-1~deb12u1\nDescription: Secure Sockets Layer toolkit\n shared libraries\n .\n more text\n',
      'Package: half\nStatus: install ok half-installed\nVersion: 1.0\n',
      'Package: gone\nStatus: purge ok not-installed\n',
    ].join('\n');
    expect(parseDpkgStatus(status, '/var/lib/dpkg/status', 'Debian:12', true).map((p) => [p.name, p.source, p.version])).toEqual([['libssl3', 'openssl', '3.0.15-1~deb12u1']]);
  });

  test('Source with its own version (binNMU and the like)', () => {
    const [pkg] = parseDpkgStatus('Package: libfoo1\nStatus: install ok installed\nSource: foo (1.2-3)\nVersion: 1.2-3+b1\n', 's', 'Debian:12', true);
    expect([pkg!.source, pkg!.sourceVersion, pkg!.version]).toEqual(['foo', '1.2-3', '1.2-3+b1']);
  });
});

describe('os-release', () => {
  test.each([
    ['ID=debian\nVERSION_ID="12"\n', 'Debian:12'],
    ['ID=ubuntu\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\n', 'Ubuntu:22.04:LTS'],
    ['ID=ubuntu\nVERSION_ID="23.10"\nVERSION="23.10 (Mantic Minotaur)"\n', 'Ubuntu:23.10'],
    ['ID=alpine\nVERSION_ID=3.19.1\n', 'Alpine:v3.19'],
    ['ID=debian\nPRETTY_NAME="Debian GNU/Linux trixie/sid"\n', null],
    ['ID=fedora\nVERSION_ID=40\n', null],
  ])('%j → %s', (text, ecosystem) => {
    expect(ecosystemOf(parseOsRelease(text))).toBe(ecosystem);
  });
});

describe('gate summaries stay small', () => {
  test('past the cap the lowest findings are left out, and still refuse when they reach the threshold', async () => {
    const { gateSummaryOf, maxGateFindings, vulnerabilityViolation } = await import('../../functions/scanning/policy.js');
    const items = Array.from({ length: maxGateFindings + 10 }, (_, i) => ({ id: `CVE-2024-${i}`, severity: (i < 5 ? 'Critical' : 'Medium') as 'Critical' | 'Medium' }));
    const summary = gateSummaryOf('Success', items, { ids: new Set(), expiresAt: null });
    expect(summary.findings.length).toBe(maxGateFindings);
    expect(summary.findings.slice(0, 5).every((f) => f[1] === 5)).toBe(true);
    expect(summary.omitted).toEqual({ count: 10, maxRank: 3 });
    expect(JSON.stringify(summary).length).toBeLessThan(200_000);
    const item = { pk: 'x', sk: 'y', ...summary } as never;
    const allowAll = items.map((i) => i.id).join(',');
    expect(vulnerabilityViolation({ prevent_vul: 'true', severity: 'medium', cve_allowlist: allowAll }, item, 0)?.message).toContain('10 vulnerabilities');
    expect(vulnerabilityViolation({ prevent_vul: 'true', severity: 'high', cve_allowlist: allowAll }, item, 0)).toBeNull();
  });
});
