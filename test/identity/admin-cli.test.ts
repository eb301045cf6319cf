import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoDbTable } from '../../functions/adapters/aws/dynamodb-table.js';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { Identity, bootstrapIdentity } from '../../functions/identity/identity.js';
import { verifyPassword } from '../../functions/identity/passwords.js';
import type { Table } from '../../functions/ports/table.js';
import { type MotoStack, startMotoStack } from '../support/aws-stack.js';

/**
 * `npm run admin -- reset-password USER` and `unlock USER`, run as the operator runs them (a child
 * process reading the same environment as the server), on the embedded default and on DynamoDB.
 */
const adminEntry = join(import.meta.dirname, '../../functions/entry/admin.ts');

function admin(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', adminEntry, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

interface Setting {
  name: string;
  start(): Promise<{ table: Table; env: Record<string, string>; stop(): Promise<void> }>;
}

const settings: Setting[] = [
  {
    name: 'the embedded default',
    async start() {
      const dir = await mkdtemp(join(tmpdir(), 'berth-admin-'));
      const table = new SqliteTable(join(dir, 'registry.db'));
      return { table, env: { BERTH_DATA_DIR: dir }, stop: async () => (table.close(), await rm(dir, { recursive: true, force: true })) };
    },
  },
  {
    name: 'AWS (DynamoDB on moto)',
    async start() {
      const stack: MotoStack = await startMotoStack();
      return { table: new DynamoDbTable(stack.clients.document, stack.resources.table), env: { ...stack.env, BERTH_BACKEND: 'aws' }, stop: () => stack.stop() };
    },
  },
];

// Each test starts one or two Node processes (a few seconds each on a busy machine).
const processTimeout = { timeout: 90_000 };

for (const setting of settings) {
  describe(`npm run admin on ${setting.name}`, processTimeout, () => {
    let table: Table;
    let env: Record<string, string>;
    let stop: () => Promise<void>;
    let identity: Identity;

    beforeAll(async () => {
      ({ table, env, stop } = await setting.start());
      identity = new Identity(table, { service: 'berth' });
      await bootstrapIdentity(identity, 'Admin-Passw0rd');
    });

    afterAll(async () => {
      await stop?.();
    });

    async function lockOut(login: string, address: string): Promise<void> {
      for (let i = 0; i < 5; i++) await identity.throttle.recordFailure(login, address);
      expect(await identity.throttle.retryAfter(login, address)).toBeGreaterThan(0);
    }

    test('unlock lifts the locks on a name from every address', async () => {
      await lockOut('admin', '203.0.113.1');
      await lockOut('admin', '2001:db8::/64');
      const result = await admin(['unlock', 'admin'], env);
      expect(result).toMatchObject({ code: 0, stdout: 'admin: 2 login locks lifted\n' });
      expect(await identity.throttle.retryAfter('admin', '203.0.113.1')).toBe(0);
      expect(await identity.throttle.retryAfter('admin', '2001:db8::/64')).toBe(0);
    });

    test('reset-password prints a generated password that works, revokes the old credential and lifts locks', async () => {
      const before = await identity.users.get('admin');
      await lockOut('admin', '203.0.113.2');
      const result = await admin(['reset-password', 'admin'], env);
      expect(result.code, result.stderr).toBe(0);
      const password = /^admin: new password (\S+)\n$/.exec(result.stdout)?.[1];
      expect(password).toBeDefined();
      const after = await identity.users.get('admin');
      expect(await verifyPassword(password!, after!.passwordHash!)).toBe(true);
      expect(await verifyPassword('Admin-Passw0rd', after!.passwordHash!)).toBe(false);
      expect(after!.credentialVersion).toBe(before!.credentialVersion + 1);
      expect(await identity.throttle.retryAfter('admin', '203.0.113.2')).toBe(0);
    });

    test('reset-password --password-stdin takes the operator\'s password, checked against the password rule', async () => {
      const weak = await admin(['reset-password', 'admin', '--password-stdin'], env, 'short\n');
      expect(weak.code).toBe(1);
      expect(weak.stderr).toMatch(/refused/);
      const chosen = await admin(['reset-password', 'admin', '--password-stdin'], env, 'Chosen-Passw0rd\n');
      expect(chosen).toMatchObject({ code: 0, stdout: 'admin: password changed\n' });
      expect(await verifyPassword('Chosen-Passw0rd', (await identity.users.get('admin'))!.passwordHash!)).toBe(true);
    });

    test('an unknown user or command is an error, not a silent success', async () => {
      const unknown = await admin(['reset-password', 'nobody'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/^error: no user named nobody$/m);
      expect((await admin(['frobnicate', 'admin'], env)).code).toBe(2);
    });
  });
}

test('the embedded default refuses a data directory without a registry database rather than creating one', processTimeout, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-admin-empty-'));
  try {
    const result = await admin(['unlock', 'admin'], { BERTH_DATA_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no registry database at/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
