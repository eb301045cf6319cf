// zod/mini: the same checks as zod's chained API at a twentieth of the bundle (Lambda cold start).
import * as z from 'zod/mini';

/**
 * Every environment variable Berth reads, in one place: its type, default and meaning. Entry
 * points parse the environment once (`loadConfig`) and hand typed settings inward; nothing else
 * reads `process.env`. infra/ imports `variableNames` to set them, so a renamed variable breaks
 * the build instead of a deployment. The identity variables BERTH_LDAP_* are a family
 * (identity/from-env.ts maps each to Harbor's `ldap_*` key).
 */
export const variables = {
  PORT: { schema: z.optional(z.string().check(z.regex(/^[0-9]{1,5}$/))), doc: 'TCP port of the Node server (default 5000)' },
  HOST: { schema: z.optional(z.string()), doc: 'address the Node server binds (default all interfaces)' },
  BERTH_BACKEND: { schema: z.optional(z.enum(['local', 'aws'])), doc: '`local` (SQLite + files, the default) or `aws` (S3, DynamoDB, SQS)' },
  BERTH_DATA_DIR: { schema: z.optional(z.string().check(z.minLength(1))), doc: 'data directory of the embedded default (default ./data)' },
  BERTH_AUTH: { schema: z.optional(z.enum(['on', 'off'])), doc: 'turn identity on or off explicitly' },
  BERTH_ADMIN_PASSWORD: { schema: z.optional(z.string().check(z.minLength(1))), doc: 'the `admin` password on first start (turns identity on)' },
  BERTH_SERVICE: { schema: z.optional(z.string().check(z.minLength(1))), doc: 'token service name (default `berth`)' },
  BERTH_TOKEN_REALM: { schema: z.optional(z.url()), doc: 'token URL clients are sent to, behind a proxy that changes the origin' },
  BERTH_AUTH_MODE: { schema: z.optional(z.enum(['db_auth', 'ldap_auth'])), doc: 'deployment-time auth mode (the configurations API overrides it)' },
  BERTH_BUCKET: { schema: z.optional(z.string().check(z.minLength(3))), doc: 'S3 bucket of blobs (aws backend)' },
  BERTH_TABLE: { schema: z.optional(z.string().check(z.minLength(3))), doc: 'DynamoDB table (aws backend)' },
  BERTH_QUEUE_URL: { schema: z.optional(z.url()), doc: 'SQS queue of short jobs (aws backend)' },
  BERTH_LONG_QUEUE_URL: { schema: z.optional(z.url()), doc: 'SQS queue of long jobs: replication, scanning (aws backend; default the short queue)' },
  BERTH_UPLOAD_SERVICE_URL: { schema: z.optional(z.url()), doc: 'base URL of the upload service, when the stage has one' },
  BERTH_UPLOAD_TOKEN_SECRET: { schema: z.optional(z.string().check(z.minLength(32))), doc: 'shared by the API and the upload service (32+ characters)' },
  BERTH_TRUSTED_PROXY_HOPS: { schema: z.optional(z.string().check(z.regex(/^[0-9]$/))), doc: 'proxies in front of the server that append the client to X-Forwarded-For (default 0: the header is ignored for login throttling)' },
  BERTH_AWS_MAX_ATTEMPTS: { schema: z.optional(z.string().check(z.regex(/^[1-9][0-9]?$/))), doc: 'SDK attempts per AWS call (default 8)' },
  BERTH_STAGE: { schema: z.optional(z.string()), doc: 'name of the deployed stage (set by the CDK app)' },
  BERTH_PEER_REGIONS: { schema: z.optional(z.string()), doc: 'other regions of the stage, comma-separated (set by the CDK app)' },
  BERTH_DISCOVERY_PREFIX: { schema: z.optional(z.string()), doc: 'SSM parameter prefix where regions publish their endpoints (set by the CDK app)' },
} as const;

export type VariableName = keyof typeof variables;

/** The names, for infra/ and docs: `variableNames.BERTH_TABLE === 'BERTH_TABLE'`. */
export const variableNames = Object.fromEntries(Object.keys(variables).map((name) => [name, name])) as { [K in VariableName]: K };

export type Config = { [K in VariableName]: z.infer<(typeof variables)[K]['schema']> };

/** A setting that cannot be used; its message is one line naming the variable and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses the whole environment; throws ConfigError naming the first variable that is wrong. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const config: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(variables)) {
    const raw = env[name] === '' ? undefined : env[name];
    const result = variable.schema.safeParse(raw);
    if (!result.success) {
      throw new ConfigError(`${name}=${JSON.stringify(raw)} is not allowed: ${variable.doc} (${result.error.issues[0]?.message ?? 'invalid'})`);
    }
    config[name] = result.data;
  }
  return config as Config;
}
