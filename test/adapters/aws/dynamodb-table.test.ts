import { DynamoDbTable } from '../../../functions/adapters/aws/dynamodb-table.js';
import { startMotoStack } from '../../support/aws-stack.js';
import { describeTableContract } from '../../ports/table.contract.js';

describeTableContract('DynamoDbTable on moto', async () => {
  const stack = await startMotoStack();
  return { table: new DynamoDbTable(stack.clients.document, stack.resources.table), cleanup: () => stack.stop() };
});
