import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './moto.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'ldap');

export const ldapAdmin = { dn: 'cn=admin,dc=bench,dc=test', password: 'adminpw' };
export const ldapBase = 'dc=bench,dc=test';

export interface Slapd {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real OpenLDAP server on a free loopback port, in a temporary directory, loaded with
 * test/fixtures/ldap/base.ldif (people alice, bob, carol; groups pushers, registry-admins).
 */
export async function startSlapd(): Promise<Slapd> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-slapd-'));
  await mkdir(join(dir, 'db'));
  const config = (await readFile(join(fixtures, 'slapd.conf'), 'utf8')).replaceAll('STATE_DIR', dir);
  await writeFile(join(dir, 'slapd.conf'), config);
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d keeps slapd in the foreground, so the child is slapd itself and killing it stops it.
  const child: ChildProcess = spawn('slapd', ['-f', join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', '0'], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10_000);
    await promisify(execFile)('ldapadd', ['-x', '-H', url, '-D', ldapAdmin.dn, '-w', ldapAdmin.password, '-f', join(fixtures, 'base.ldif')]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`slapd did not listen on ${port}`);
}
