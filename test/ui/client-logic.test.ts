import { describe, expect, test } from 'vitest';
import { bytes, severityRank, shortDigest, time } from '../../functions/ui/client/format.js';
import { match, paths, route } from '../../functions/ui/client/router.js';
import { isSigned, platforms } from '../../functions/ui/client/artifact-bits.js';

describe('format', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [5 * 1024 * 1024 + 512 * 1024, '5.50 MiB'],
    [214 * 1024 ** 2, '214.0 MiB'],
    [-1, '—'],
    [undefined, '—'],
  ])('bytes(%s) is %s', (size, shown) => {
    expect(bytes(size)).toBe(shown);
  });

  test('severities sort most severe first, unknown names last', () => {
    const sorted = ['Low', 'bogus', 'Critical', 'medium', 'High'].sort((a, b) => severityRank(a) - severityRank(b));
    expect(sorted).toEqual(['Critical', 'High', 'medium', 'Low', 'bogus']);
  });

  test('digests shorten to 12 hex characters; Harbor’s year-1 "never" reads as a dash', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('sha256:abababababab');
    expect(time('0001-01-01T00:00:00Z')).toBe('—');
    expect(time(undefined)).toBe('—');
  });
});

describe('router', () => {
  // The repository first, as the portal's modules register them: the artifact must still win.
  route('/test/projects/:project/repositories/:repo*', () => undefined);
  route('/test/projects/:project/repositories/:repo*/artifacts/:digest', () => undefined);
  route('/test/projects/:project/:tab', () => undefined);

  test('repository names with slashes round-trip through portal paths', () => {
    const path = paths.repository('team', 'apps/web server').replace('/harbor/', '/test/');
    expect(match(path)?.params).toEqual({ project: 'team', repo: 'apps/web server' });
    const artifact = paths.artifact('team', 'apps/web', 'sha256:abc').replace('/harbor/', '/test/');
    expect(match(artifact)?.params).toEqual({ project: 'team', repo: 'apps/web', digest: 'sha256:abc' });
  });

  test('a project tab is not mistaken for a repository, nor a repository for a tab', () => {
    expect(match('/test/projects/team/members')?.params).toEqual({ project: 'team', tab: 'members' });
    expect(match('/test/projects/team/repositories/app')?.params).toEqual({ project: 'team', repo: 'app' });
  });

  test('an unknown path, or one with a malformed escape, matches nothing', () => {
    expect(match('/test/nowhere')).toBeNull();
    expect(match('/test/projects/%zz/repositories/app')).toBeNull();
  });
});

describe('artifact summaries', () => {
  test('platforms of an image and of an index', () => {
    expect(platforms({ digest: 'd', extra_attrs: { os: 'linux', architecture: 'arm64', variant: 'v8' } })).toBe('linux/arm64/v8');
    expect(
      platforms({
        digest: 'd',
        references: [
          { child_digest: 'a', platform: { os: 'linux', architecture: 'amd64' } },
          { child_digest: 'b', platform: { os: 'linux', architecture: 'arm64' } },
        ],
      }),
    ).toBe('linux/amd64, linux/arm64');
  });

  test('signed from a tag flag or a signature accessory', () => {
    expect(isSigned({ digest: 'd', tags: [{ name: 'v1', signed: true }] })).toBe(true);
    expect(isSigned({ digest: 'd', accessories: [{ type: 'signature.cosign', digest: 's' }] })).toBe(true);
    expect(isSigned({ digest: 'd', accessories: [{ type: 'harbor.sbom', digest: 's' }] })).toBe(false);
  });
});
