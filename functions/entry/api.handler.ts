import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { createApp } from '../app.js';
import { createAwsDeps } from './aws-deps.js';

/**
 * Largest request body the function can take. Lambda refuses a synchronous invocation whose
 * event exceeds 6,291,456 bytes, and API Gateway puts a binary body in the event base64-encoded
 * (4 bytes for every 3). What is left after 64 KiB of headers and event fields: 4,669,440 bytes.
 */
export const lambdaMaxRequestBytes = Math.floor(((6_291_456 - 64 * 1024) * 3) / 4);

type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** The app behind an API Gateway HTTP API (payload format 2.0), with the AWS adapters. */
export function createApiHandler(env: Record<string, string | undefined> = process.env): ApiHandler {
  const app = createApp(createAwsDeps(env, { maxRequestBytes: lambdaMaxRequestBytes }));
  // Every response body goes back base64-encoded: manifests must reach the client byte for byte,
  // and a text round trip through the runtime would drop a byte order mark.
  return handle(app, { isContentTypeBinary: () => true }) as ApiHandler;
}

let instance: ApiHandler | undefined;

/** Lambda entry: built on the first request, so a misconfiguration shows in that request's log. */
export const handler: ApiHandler = (event, context) => {
  instance ??= createApiHandler();
  return instance(event, context);
};
