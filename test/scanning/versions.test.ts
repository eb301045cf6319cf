import { describe, expect, test } from 'vitest';
import { affects, comparatorFor } from '../../functions/scanning/affected.js';
import { compareApkVersions } from '../../functions/scanning/apk-version.js';
import { compareDebianVersions } from '../../functions/scanning/debian-version.js';
import type { Advisory } from '../../functions/scanning/osv.js';

describe('Debian version ordering (dpkg --compare-versions)', () => {
  test.each([
    ['1.0', '<', '1.1'],
    ['1.0~rc1', '<', '1.0'],
    ['1.0~~', '<', '1.0~'],
    ['1.0', '<', '1.0+b1'],
    ['1.0-1', '<', '1.0-2'],
    ['1:0.9', '>', '2.0'],
    ['0:1.0', '=', '1.0'],
    ['2.36-9+deb12u4', '<', '2.36-9+deb12u7'],
    ['2.36-9+deb12u10', '>', '2.36-9+deb12u9'],
    ['3.0.11-1~deb12u2', '<', '3.0.11-1'],
    ['1.2a', '<', '1.2b'],
    ['1.2a', '>', '1.2'],
    ['1.2.3', '>', '1.2'],
    ['1.01', '=', '1.1'],
    ['1.0-1', '>', '1.0'],
    ['7.88.1-10+deb12u5', '<', '7.88.1-10+deb12u8'],
  ])('%s %s %s', (a, op, b) => {
    const sign = Math.sign(compareDebianVersions(a, b));
    expect(sign).toBe(op === '<' ? -1 : op === '>' ? 1 : 0);
    expect(Math.sign(compareDebianVersions(b, a))).toBe(-sign || 0);
  });

  test('a malformed version is refused, not guessed', () => {
    expect(() => compareDebianVersions('abc', '1.0')).toThrow(RangeError);
    expect(() => compareDebianVersions('x:1.0', '1.0')).toThrow(RangeError);
  });
});

describe('apk version ordering', () => {
  test.each([
    ['1.2.3', '<', '1.2.4'],
    ['1.2.3-r0', '<', '1.2.3-r1'],
    ['1.2.3', '<', '1.2.3-r1'],
    ['1.2.3_rc1', '<', '1.2.3'],
    ['1.2.3_alpha', '<', '1.2.3_beta'],
    ['1.2.3_p1', '>', '1.2.3'],
    ['1.2.3_p1', '>', '1.2.3-r5'],
    ['1.2.3a', '>', '1.2.3'],
    ['1.2.3a', '<', '1.2.4'],
    ['1.10', '>', '1.9'],
    ['1.02', '<', '1.1'],
    ['3.1.4-r5', '<', '3.1.5-r0'],
    ['1.36.1-r15', '<', '1.36.1-r29'],
    ['2.0_git20230101', '>', '2.0'],
    ['1.2.3-r2', '=', '1.2.3-r2'],
  ])('%s %s %s', (a, op, b) => {
    const sign = Math.sign(compareApkVersions(a, b));
    expect(sign).toBe(op === '<' ? -1 : op === '>' ? 1 : 0);
    expect(Math.sign(compareApkVersions(b, a))).toBe(-sign || 0);
  });

  test('a malformed version is refused', () => {
    expect(() => compareApkVersions('1.2.3_weird1', '1.0')).toThrow(RangeError);
    expect(() => compareApkVersions('v1', '1.0')).toThrow(RangeError);
  });
});

function advisory(ecosystem: string, ranges: Advisory['ranges'], versions: string[] = []): Advisory {
  return { id: 'X', ecosystem, package: 'p', aliases: [], summary: '', description: '', severity: 'Unknown', links: [], ranges, versions, modified: '' };
}

describe('OSV range evaluation', () => {
  const debian = comparatorFor('Debian:12')!;
  const npm = comparatorFor('npm')!;

  test('introduced 0, fixed: affected below the fix, with the fix reported', () => {
    const a = advisory('Debian:12', [[{ introduced: '0' }, { fixed: '2.36-9+deb12u7' }]]);
    expect(affects(a, '2.36-9+deb12u4', debian)).toEqual({ affected: true, fixedIn: '2.36-9+deb12u7' });
    expect(affects(a, '2.36-9+deb12u7', debian)).toEqual({ affected: false });
    expect(affects(a, '2.36-9+deb12u10', debian)).toEqual({ affected: false });
  });

  test('several intervals in one range, events out of order', () => {
    const a = advisory('npm', [[{ fixed: '4.17.21' }, { introduced: '4.0.0' }, { fixed: '3.10.2' }, { introduced: '3.0.0' }]]);
    expect(affects(a, '2.9.9', npm).affected).toBe(false);
    expect(affects(a, '3.5.0', npm)).toEqual({ affected: true, fixedIn: '3.10.2' });
    expect(affects(a, '3.10.2', npm).affected).toBe(false);
    expect(affects(a, '4.17.20', npm)).toEqual({ affected: true, fixedIn: '4.17.21' });
    expect(affects(a, '4.17.21', npm).affected).toBe(false);
  });

  test('last_affected is inclusive, limit exclusive, listed versions match exactly', () => {
    expect(affects(advisory('npm', [[{ introduced: '1.0.0' }, { last_affected: '1.2.0' }]]), '1.2.0', npm)).toEqual({ affected: true });
    expect(affects(advisory('npm', [[{ introduced: '1.0.0' }, { last_affected: '1.2.0' }]]), '1.2.1', npm).affected).toBe(false);
    expect(affects(advisory('npm', [[{ introduced: '0' }, { limit: '2.0.0' }]]), '2.0.0', npm).affected).toBe(false);
    expect(affects(advisory('npm', [], ['1.3.3']), '1.3.3', npm).affected).toBe(true);
    expect(affects(advisory('npm', [], ['1.3.3']), '1.3.4', npm).affected).toBe(false);
  });

  test('an unknown ecosystem has no ordering', () => {
    expect(comparatorFor('PyPI')).toBeNull();
    expect(comparatorFor('Alpine:v3.19')).not.toBeNull();
  });
});
