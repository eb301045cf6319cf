import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { scanArtifact } from '../../functions/scanning/image-scan.js';
import { ScanError } from '../../functions/scanning/layer-reader.js';
import { gzipLayer, imageOf, memorySource, sha256, tarOf } from './support/layers.js';

const osRelease = readFileSync('/usr/lib/os-release');
const dpkgStatus = readFileSync('/var/lib/dpkg/status');

/** What dpkg itself says is installed on this machine: the reference for the parser. */
function installedByDpkg(): Set<string> {
  const out = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Status} ${Package} ${Version}\\n'], { encoding: 'utf8' });
  return new Set(out.split('\n').filter((l) => l.startsWith('installed ')).map((l) => l.slice('installed '.length)));
}

describe('image inventory from real layers', () => {
  test("this machine's Debian 12 dpkg database and os-release, behind Debian's symlink", async () => {
    const layer = await gzipLayer([
      { name: 'usr/lib/os-release', body: osRelease },
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { name: 'var/lib/dpkg/status', body: dpkgStatus },
    ]);
    const image = imageOf([layer]);
    const inventory = await scanArtifact(memorySource(image), image.digest);
    expect(inventory.os?.id).toBe('debian');
    expect(inventory.ecosystem).toBe('Debian:12');
    const found = new Set(inventory.packages.map((p) => `${p.name} ${p.version}`));
    expect(found).toEqual(installedByDpkg());
    const libc = inventory.packages.find((p) => p.name === 'libc6')!;
    expect(libc.source).toBe('glibc');
    expect(libc.purl).toMatch(/^pkg:deb\/debian\/libc6@2\.36-9/);
  });

  test('whiteouts and opaque directories remove lower files; upper layers replace them', async () => {
    const lower = await gzipLayer([
      { name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.18.4\n' },
      { name: 'lib/apk/db/installed', body: 'P:musl\nV:1.2.4-r1\no:musl\n\nP:openssl\nV:3.1.3-r0\no:openssl\n' },
      { name: 'app/package-lock.json', body: JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/lodash': { version: '4.17.11' } } }) },
      { name: 'old/package-lock.json', body: JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/minimist': { version: '1.2.0' } } }) },
      { name: 'gone/deep/package-lock.json', body: JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/qs': { version: '6.0.0' } } }) },
    ]);
    const upper = await gzipLayer([
      { name: 'lib/apk/db/installed', body: 'P:musl\nV:1.2.4-r2\no:musl\n' },
      { name: 'old/.wh.package-lock.json', body: '' },
      { name: 'gone/.wh..wh..opq', body: '' },
    ]);
    const image = imageOf([lower, upper]);
    const inventory = await scanArtifact(memorySource(image), image.digest);
    expect(inventory.ecosystem).toBe('Alpine:v3.18');
    expect(inventory.packages.map((p) => `${p.type} ${p.name} ${p.version}`).sort()).toEqual(['apk musl 1.2.4-r2', 'npm lodash 4.17.11']);
  });

  test('distroless status.d, an uncompressed layer, and a v1 lockfile', async () => {
    const layer = await tarOf([
      { name: 'etc/os-release', body: 'PRETTY_NAME="Distroless"\nID=debian\nVERSION_ID="11"\n' },
      { name: 'var/lib/dpkg/status.d/base', body: 'Package: base-files\nVersion: 11.1+deb11u9\nArchitecture: amd64\n' },
      { name: 'var/lib/dpkg/status.d/libssl1', body: 'Package: libssl1.1\nSource: openssl\nVersion: 1.1.1w-0+deb11u1\n' },
      { name: 'var/lib/dpkg/status.d/libssl1.md5sums', body: 'not a control file' },
      { name: 'srv/package-lock.json', body: JSON.stringify({ lockfileVersion: 1, dependencies: { express: { version: '4.17.1', dependencies: { qs: { version: '6.7.0' } } } } }) },
    ]);
    const image = imageOf([layer]);
    const inventory = await scanArtifact(memorySource(image), image.digest);
    expect(inventory.ecosystem).toBe('Debian:11');
    expect(inventory.packages.map((p) => `${p.name}:${p.source ?? ''}:${p.version}`).sort()).toEqual([
      'base-files:base-files:11.1+deb11u9',
      'express::4.17.1',
      'libssl1.1:openssl:1.1.1w-0+deb11u1',
      'qs::6.7.0',
    ]);
  });

  test('an index scans every platform and leaves attestations out', async () => {
    const amd = imageOf([await gzipLayer([{ name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.19.0\n' }, { name: 'lib/apk/db/installed', body: 'P:busybox\nV:1.36.1-r15\no:busybox\n' }])]);
    const arm = imageOf([await gzipLayer([{ name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.19.0\n' }, { name: 'lib/apk/db/installed', body: 'P:busybox\nV:1.36.1-r14\no:busybox\n' }])]);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd.digest, size: amd.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.digest, size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + 'a'.repeat(64), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    }));
    const source = memorySource(amd, arm);
    source.add(sha256(index), index, 'application/vnd.oci.image.index.v1+json');
    const inventory = await scanArtifact(source, sha256(index));
    expect(inventory.packages.map((p) => p.version).sort()).toEqual(['1.36.1-r14', '1.36.1-r15']);
  });
});

describe('bad input fails the scan with a message', () => {
  async function scanLayers(...layers: Buffer[]) {
    const image = imageOf(layers);
    return scanArtifact(memorySource(image), image.digest);
  }

  test('corrupt gzip', async () => {
    const good = await gzipLayer([{ name: 'etc/os-release', body: osRelease }]);
    const corrupt = Buffer.from(good);
    corrupt.fill(0x55, 20, 60);
    await expect(scanLayers(corrupt)).rejects.toThrow(ScanError);
    await expect(scanLayers(corrupt)).rejects.toThrow(/layer/);
  });

  test('a truncated tar', async () => {
    const tarball = await tarOf([{ name: 'var/lib/dpkg/status', body: dpkgStatus }]);
    await expect(scanLayers(gzipSync(tarball.subarray(0, 10_000)))).rejects.toThrow(/layer could not be read|not a readable tar/);
  });

  test('a tar bomb of many entries stops at the entry limit', async () => {
    const entries = Array.from({ length: 3000 }, (_, i) => ({ name: `bomb/${i}`, body: '' }));
    const image = imageOf([await gzipLayer(entries)]);
    await expect(scanArtifact(memorySource(image), image.digest, { maxEntries: 2000, maxFileBytes: 1 << 20, maxTotalBytes: 1 << 20 })).rejects.toThrow(/more than 2000 tar entries/);
  });

  test('a huge pax header is refused by the tar reader', async () => {
    const header = Buffer.alloc(512);
    header.write('PaxHeaders/x', 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write((5 * 1024 * 1024).toString(8).padStart(11, '0') + '\0', 124);
    header.write('00000000000\0', 136);
    header.write('x', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    await expect(scanLayers(gzipSync(Buffer.concat([header, Buffer.alloc(1024)])))).rejects.toThrow(/Header exceeds max size|not a readable tar/);
  });

  test('a file over the size limit', async () => {
    const image = imageOf([await gzipLayer([{ name: 'var/lib/dpkg/status', body: dpkgStatus }])]);
    await expect(scanArtifact(memorySource(image), image.digest, { maxEntries: 100, maxFileBytes: 1000, maxTotalBytes: 1 << 30 })).rejects.toThrow(/more than the 1000 bytes/);
  });

  test.each([
    ['var/lib/dpkg/status', 'Package: x\n\u0000\u0001garbage', /binary data/],
    ['var/lib/dpkg/status', 'this is not a control file\n', /not a dpkg control field/],
    ['lib/apk/db/installed', '!!!\n', /not an apk database line/],
    ['app/package-lock.json', '{not json', /not valid JSON/],
  ])('a package database of garbage: %s', async (name, body, message) => {
    await expect(scanLayers(await gzipLayer([{ name: 'etc/os-release', body: 'ID=debian\nVERSION_ID=12\n' }, { name, body }]))).rejects.toThrow(message);
  });

  test('zstd layers: read where Node has zstd, else a clear "unsupported"', async () => {
    const zlib = await import('node:zlib');
    const zstd = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
    const tarball = await tarOf([{ name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.19.0\n' }]);
    if (zstd) {
      const inventory = await scanLayers(zstd(tarball));
      expect(inventory.ecosystem).toBe('Alpine:v3.19');
    } else {
      // Node 20: a zstd frame (magic 28 b5 2f fd) is recognised and refused by name.
      const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64)]);
      await expect(scanLayers(frame)).rejects.toThrow(/zstd-compressed layers are unsupported on Node/);
    }
  });
});
