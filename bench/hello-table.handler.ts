import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';

/**
 * The second baseline of bench/lambda-cold-start.ts: the hello-world plus the DynamoDB document
 * client made at start, as any function that keeps its data in DynamoDB makes it. It answers
 * without calling the table, like the API's `GET /v2/` in that bench.
 */
export const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const app = new Hono();
app.get('*', (c) => c.json({ hello: 'world' }));

export const handler = handle(app);
