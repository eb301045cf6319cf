import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { bucketDefinition, longQueueDefinition, queueDefinition, tableDefinition } from '../../../functions/adapters/aws/resource-definitions.js';

it('the LocalStack init hook reads the same resource definitions as the code', async () => {
  const json = JSON.parse(await readFile(new URL('../../../localstack/resource-definitions.json', import.meta.url), 'utf8'));
  // When this fails: npx tsx localstack/bootstrap.ts --definitions > localstack/resource-definitions.json
  expect(json).toEqual({ table: tableDefinition, bucket: bucketDefinition, queue: queueDefinition, longQueue: longQueueDefinition });
});
