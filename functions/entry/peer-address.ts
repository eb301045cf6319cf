import { getConnInfo as nodeConnInfo } from '@hono/node-server/conninfo';
import { getConnInfo as lambdaConnInfo } from 'hono/aws-lambda';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';

/**
 * Where each runtime learns a request's peer (AppDeps.peerAddress): the Node server from its
 * socket, Lambda from API Gateway's request context (`sourceIp`), which the gateway sets from the
 * connection and no header can change. Undefined when the runtime does not tell (tests calling
 * `app.request`).
 */
export function nodePeerAddress(c: Context<AppEnv>): string | undefined {
  if (!(c.env as { incoming?: unknown } | undefined)?.incoming) return undefined;
  return nodeConnInfo(c).remote.address;
}

export function lambdaPeerAddress(c: Context<AppEnv>): string | undefined {
  if (!(c.env as { requestContext?: unknown } | undefined)?.requestContext) return undefined;
  return lambdaConnInfo(c).remote.address;
}
