import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { generatePassword } from '../identity/passwords.js';
import { RecoveryError, resetPassword, unlockLogin } from '../identity/recovery.js';
import type { Table } from '../ports/table.js';
import { password as passwordRule } from '../routes/api/users.js';

/**
 * `npm run admin -- <command>`: recovery on the registry's table, with the server running or not.
 *
 *   reset-password USER [--password-stdin]   a new password (generated and printed, or read from
 *                                             stdin); revokes USER's refresh tokens, lifts locks
 *   unlock USER                              lifts every login lock on USER (a user or robot)
 *
 * The table is the one `npm start` uses: BERTH_DATA_DIR (default ./data), or with
 * BERTH_BACKEND=aws the DynamoDB table BERTH_TABLE (AWS credentials and region as for the SDK).
 */
const usage = 'usage: npm run admin -- reset-password USER [--password-stdin] | unlock USER';

async function openTable(config: Config): Promise<{ table: Table; close(): void }> {
  if (config.BERTH_BACKEND === 'aws') {
    if (!config.BERTH_TABLE) throw new RecoveryError('BERTH_TABLE must name the DynamoDB table with BERTH_BACKEND=aws');
    const [{ createAwsClients }, { DynamoDbTable }] = await Promise.all([import('./aws-clients.js'), import('../adapters/aws/dynamodb-table.js')]);
    const clients = createAwsClients(config);
    return { table: new DynamoDbTable(clients.document, config.BERTH_TABLE), close: () => clients.dynamodb.destroy() };
  }
  const path = join(resolve(config.BERTH_DATA_DIR ?? 'data'), 'registry.db');
  // Opening a missing database would create an empty one and "succeed" on nothing.
  if (!existsSync(path)) throw new RecoveryError(`no registry database at ${path} (set BERTH_DATA_DIR to the server's data directory)`);
  const { SqliteTable } = await import('../adapters/local/sqlite-table.js');
  const table = new SqliteTable(path);
  return { table, close: () => table.close() };
}

async function readLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

async function main(args: string[]): Promise<number> {
  const [command, login, ...flags] = args;
  if (!login || !['reset-password', 'unlock'].includes(command ?? '') || flags.some((flag) => flag !== '--password-stdin')) {
    console.error(usage);
    return 2;
  }
  const { table, close } = await openTable(loadConfig(process.env));
  try {
    if (command === 'unlock') {
      const cleared = await unlockLogin(table, login);
      console.log(`${login}: ${cleared} login lock${cleared === 1 ? '' : 's'} lifted`);
      return 0;
    }
    const given = flags.includes('--password-stdin') ? await readLine() : undefined;
    const password = given ?? generatePassword();
    const checked = passwordRule.safeParse(password);
    if (!checked.success) throw new RecoveryError(`the new password is refused: ${checked.error.issues.map((issue) => issue.message).join('; ')}`);
    await resetPassword(table, login, password);
    console.log(given === undefined ? `${login}: new password ${password}` : `${login}: password changed`);
    return 0;
  } finally {
    close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof RecoveryError || error instanceof ConfigError;
    console.error(known ? `error: ${error.message}` : `error: ${String((error as Error)?.message ?? error)}`);
    process.exit(1);
  },
);
