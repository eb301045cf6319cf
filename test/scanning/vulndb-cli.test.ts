import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { VulnDb } from '../../functions/scanning/vuln-db.js';

const run = promisify(execFile);
const fixtures = join(import.meta.dirname, 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'berth-vulndb-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function vulndb(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'vulndb', '--', ...args], { env: { ...process.env, BERTH_DATA_DIR: join(dir, 'data') }, cwd: join(import.meta.dirname, '..', '..') });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run vulndb', () => {
  test('import <zip> loads the export into the data directory and queues a re-match', async () => {
    const zip = join(dir, 'npm-all.zip');
    await run('python3', ['-c', 'import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)\nfor f in sorted(os.listdir(sys.argv[2])): z.write(os.path.join(sys.argv[2], f), f)\nz.close()', zip, join(fixtures, 'osv')]);
    const result = await vulndb('import', zip);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.split('\n')[0]!)).toEqual({ source: zip, records: 8, advisories: 9, skipped: 0 });
    const table = new SqliteTable(join(dir, 'data', 'registry.db'));
    try {
      expect((await new VulnDb(table).advisories('npm', 'lodash')).length).toBe(3);
      const queued = (await table.query('queue#jobs-long')).map((item) => (item.job as { kind: string }).kind);
      expect(queued).toContain('scan-rematch');
    } finally {
      table.close();
    }
  }, 60_000);

  test('a directory with a broken file: the rest loads, the broken one is named', async () => {
    const osv = join(dir, 'osv-dir');
    await run('cp', ['-r', join(fixtures, 'osv'), osv]);
    copyFileSync(join(fixtures, 'broken-osv.json'), join(osv, 'zz-broken.json'));
    const result = await vulndb('import', osv);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('zz-broken.json');
  }, 60_000);

  test('what is not an archive fails with a message and a non-zero exit', async () => {
    const junk = join(dir, 'junk.zip');
    writeFileSync(junk, 'this is not a zip');
    const result = await vulndb('import', junk);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/vulndb: .*(zip|central directory)/i);
    expect((await vulndb('status')).stdout).toContain('"advisories":9');
  }, 60_000);
});
