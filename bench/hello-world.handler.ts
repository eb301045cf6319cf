import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';

/** The baseline of bench/lambda-cold-start.ts: the smallest Hono app on Lambda. */
const app = new Hono();
app.get('*', (c) => c.json({ hello: 'world' }));

export const handler = handle(app);
