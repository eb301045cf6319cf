import { beforeAll, describe, expect, test } from 'vitest';
import { cvss3BaseScore, cvss4BaseScore, cvss4Ready } from '../../functions/scanning/cvss.js';
import { severityOfScore } from '../../functions/scanning/severity.js';
import { advisoriesOf, parseOsv } from '../../functions/scanning/osv.js';

describe('CVSS v3 base score', () => {
  // Scores as NVD publishes them for these vectors.
  test.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8], // CVE-2021-44228 style, unchanged scope
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0], // CVE-2021-44228 (Log4Shell)
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5], // CVE-2014-0160 (Heartbleed)
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.1], // CVE-2024-6387 (regreSSHion)
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', 5.4],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N', 4.3],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1], // the usual reflected XSS
  ])('%s → %s', (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score);
  });

  test.each(['CVSS:2.0/AV:N', 'AV:N/AC:L/Au:N/C:P/I:P/A:P', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'])(
    'malformed or other versions: %s → null',
    (vector) => expect(cvss3BaseScore(vector)).toBeNull(),
  );

  test('ratings', () => {
    expect(severityOfScore(9.0)).toBe('Critical');
    expect(severityOfScore(8.9)).toBe('High');
    expect(severityOfScore(7.0)).toBe('High');
    expect(severityOfScore(6.9)).toBe('Medium');
    expect(severityOfScore(4.0)).toBe('Medium');
    expect(severityOfScore(3.9)).toBe('Low');
    expect(severityOfScore(0)).toBe('Negligible');
  });
});

describe('CVSS v4.0 base score', () => {
  beforeAll(cvss4Ready);

  // Scores FIRST's calculator gives these vectors.
  test.each([
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10],
    ['CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N', 8.7],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
    // Threat metrics after the base ones do not change a base score.
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U', 9.3],
  ])('%s → %s', (vector, score) => {
    expect(cvss4BaseScore(vector)).toBe(score);
  });

  test.each([
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', // SA missing
    'CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
    'CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    'garbage',
  ])('malformed or another version: %s → null', (vector) => expect(cvss4BaseScore(vector)).toBeNull());

  test('an OSV record with only a CVSS v4 vector takes its severity from it; v3 wins when both are there', () => {
    const record = (severity: { type: string; score: string }[]) =>
      parseOsv({
        id: 'GHSA-test-cvss-four',
        modified: '2026-01-01T00:00:00Z',
        severity,
        affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }],
      });
    const v4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N';
    const v3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L';
    expect(advisoriesOf(record([{ type: 'CVSS_V4', score: v4 }]))[0]).toMatchObject({ severity: 'High', score: 8.7, vector: v4 });
    expect(advisoriesOf(record([{ type: 'CVSS_V4', score: v4 }, { type: 'CVSS_V3', score: v3 }]))[0]).toMatchObject({ severity: 'Medium', score: 5.3, vector: v3 });
    expect(advisoriesOf(record([{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }]))[0]).toMatchObject({ severity: 'Unknown' });
  });
});
