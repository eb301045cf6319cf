// zod/mini: the same checks as zod's chained API at a twentieth of the bundle (Lambda cold start).
import * as z from 'zod/mini';

const text = () => z.optional(z.string().check(z.minLength(1)));
const url = () => z.optional(z.url());
const integer = (min: number, max: number) =>
  z.optional(z.pipe(z.string().check(z.regex(/^[0-9]+$/, 'must be a whole number')), z.transform(Number)).check(z.minimum(min), z.maximum(max)));
const flag = () => z.optional(z.enum(['true', 'false']));

/**
 * Every environment variable Berth reads, in one place: its type, default and meaning. Entry
 * points parse the environment once (`loadConfig`) and hand typed settings inward; nothing else
 * reads `process.env`. infra/ imports `variableNames` to set them, so a renamed variable breaks
 * the build instead of a deployment. README's variable table is checked against this list.
 */
export const variables = {
  PORT: { schema: integer(0, 65535), doc: 'TCP port of the Node server (default 5000; the upload service 8080)' },
  HOST: { schema: text(), doc: 'address the Node server binds (default all interfaces)' },
  BERTH_BACKEND: { schema: z.optional(z.enum(['local', 'aws'])), doc: '`local` (SQLite + files, the default) or `aws` (S3, DynamoDB, SQS)' },
  BERTH_DATA_DIR: { schema: text(), doc: 'data directory of the embedded default (default ./data)' },
  BERTH_AUTH: { schema: z.optional(z.enum(['on', 'off'])), doc: '`on` or `off`; default on once identity has been on for the data, else on with BERTH_ADMIN_PASSWORD' },
  BERTH_ADMIN_PASSWORD: { schema: text(), doc: 'the `admin` password on first start (turns identity on)' },
  BERTH_SERVICE: { schema: text(), doc: 'token service name (default `berth`)' },
  BERTH_TOKEN_REALM: { schema: url(), doc: 'token URL clients are sent to, behind a proxy that changes the origin' },
  BERTH_AUTH_MODE: { schema: z.optional(z.enum(['db_auth', 'ldap_auth'])), doc: 'deployment-time auth mode (the configurations API overrides it)' },
  BERTH_LDAP_URL: { schema: text(), doc: 'LDAP server, `ldap://` or `ldaps://` (Harbor `ldap_url`)' },
  BERTH_LDAP_SEARCH_DN: { schema: text(), doc: 'DN that searches the directory (Harbor `ldap_search_dn`)' },
  BERTH_LDAP_SEARCH_PASSWORD: { schema: text(), doc: 'its password (Harbor `ldap_search_password`)' },
  BERTH_LDAP_BASE_DN: { schema: text(), doc: 'where users are searched (Harbor `ldap_base_dn`)' },
  BERTH_LDAP_FILTER: { schema: text(), doc: 'extra user filter (Harbor `ldap_filter`)' },
  BERTH_LDAP_UID: { schema: text(), doc: 'attribute holding the login name (default `uid`)' },
  BERTH_LDAP_SCOPE: { schema: z.optional(z.enum(['0', '1', '2'])), doc: 'user search scope: 0 base, 1 one level, 2 subtree (default 2)' },
  BERTH_LDAP_TIMEOUT: { schema: integer(1, 300), doc: 'seconds per LDAP operation (default 5)' },
  BERTH_LDAP_VERIFY_CERT: { schema: flag(), doc: '`true` or `false`: verify the server certificate (default true)' },
  BERTH_LDAP_GROUP_BASE_DN: { schema: text(), doc: 'where groups are searched' },
  BERTH_LDAP_GROUP_SEARCH_FILTER: { schema: text(), doc: 'extra group filter' },
  BERTH_LDAP_GROUP_ATTRIBUTE_NAME: { schema: text(), doc: 'attribute naming a group (e.g. `cn`)' },
  BERTH_LDAP_GROUP_SEARCH_SCOPE: { schema: z.optional(z.enum(['0', '1', '2'])), doc: 'group search scope: 0, 1 or 2 (default 2)' },
  BERTH_LDAP_GROUP_ADMIN_DN: { schema: text(), doc: 'members of this group are system admins' },
  BERTH_LDAP_GROUP_MEMBERSHIP_ATTRIBUTE: { schema: text(), doc: 'user attribute listing its groups (default `memberof`)' },
  BERTH_BUCKET: { schema: z.optional(z.string().check(z.minLength(3))), doc: 'S3 bucket of blobs (aws backend)' },
  BERTH_TABLE: { schema: z.optional(z.string().check(z.minLength(3))), doc: 'DynamoDB table (aws backend)' },
  BERTH_QUEUE_URL: { schema: url(), doc: 'SQS queue of short jobs (aws backend)' },
  BERTH_LONG_QUEUE_URL: { schema: url(), doc: 'SQS queue of long jobs: replication, scanning (aws backend; default the short queue)' },
  BERTH_UPLOAD_SERVICE_URL: { schema: url(), doc: 'base URL of the upload service, when the stage has one' },
  BERTH_UPLOAD_TOKEN_SECRET: { schema: z.optional(z.string().check(z.minLength(32))), doc: 'shared by the API and the upload service (32+ characters)' },
  BERTH_TRUSTED_PROXY_HOPS: { schema: integer(0, 9), doc: 'proxies in front of the server that append the client to X-Forwarded-For (default 0: the header is ignored for login throttling)' },
  BERTH_SESSION_HOURS: { schema: integer(1, 720), doc: 'hours a web UI session lasts from login (default 8)' },
  BERTH_AWS_MAX_ATTEMPTS: { schema: integer(1, 99), doc: 'SDK attempts per AWS call (default 8)' },
  BERTH_STAGE: { schema: text(), doc: 'name of the deployed stage (set by the CDK app)' },
  BERTH_PEER_REGIONS: { schema: text(), doc: 'other regions of the stage, comma-separated (set by the CDK app)' },
  BERTH_REPLICATION_KEY: {
    schema: z.optional(z.string().check(z.minLength(32))),
    doc: 'key sealing remote registry credentials (AES-256-GCM): base64 of 32 random bytes, or a secret of 32+ characters (hashed into a key); one machine without it keeps a generated key in the data dir',
  },
  BERTH_REPLICATION_TARGETS: { schema: text(), doc: 'regions this one feeds, JSON `[{"region","url","password","bucket"}]` (set by the CDK app from the stage topology; `bucket`, optional, sends blobs bucket to bucket)' },
  BERTH_REPLICATION_INBOUND_PASSWORD: { schema: z.optional(z.string().check(z.minLength(16))), doc: 'password of the `replication` account the upstream region pushes with (set by the CDK app)' },
  BERTH_DISCOVERY_PREFIX: { schema: text(), doc: 'SSM parameter prefix where regions publish their endpoints (set by the CDK app)' },
  BERTH_TLS_CERT: { schema: text(), doc: 'PEM certificate file (chain) for HTTPS on the Node server; with BERTH_TLS_KEY' },
  BERTH_TLS_KEY: { schema: text(), doc: 'PEM private key file of BERTH_TLS_CERT' },
  BERTH_SHUTDOWN_TIMEOUT: { schema: integer(0, 3600), doc: 'seconds SIGTERM waits for requests in flight (default 10)' },
  BERTH_LOG_LEVEL: { schema: z.optional(z.enum(['debug', 'info', 'warn', 'error', 'silent'])), doc: 'least level logged (default info; access lines are info)' },
  POWERTOOLS_SERVICE_NAME: { schema: text(), doc: 'service name on every log line (default `berth`; the CDK app names each function)' },
  AWS_REGION: { schema: text(), doc: 'AWS region (SDK standard; default us-east-1)' },
  AWS_DEFAULT_REGION: { schema: text(), doc: 'AWS region when AWS_REGION is unset (SDK standard)' },
  AWS_ENDPOINT_URL: { schema: url(), doc: 'one endpoint for every AWS service (LocalStack, moto)' },
  AWS_ACCESS_KEY_ID: { schema: text(), doc: 'credentials (SDK standard; else the default chain: role, profile)' },
  AWS_SECRET_ACCESS_KEY: { schema: text(), doc: 'credentials (SDK standard)' },
  AWS_SESSION_TOKEN: { schema: text(), doc: 'credentials (SDK standard)' },
  BERTH_SCANNING_REGISTRY_URL: { schema: url(), doc: 'URL external scanner adapters pull artifacts from (this registry as they reach it)' },
  BERTH_SCANNER_ADAPTER_KEY: { schema: z.optional(z.string().check(z.minLength(16))), doc: "API key of Berth's own scanner adapter API at /scanner/api/v1 (16+ characters; unset: that API is off)" },
  BERTH_VULNDB_URL: { schema: text(), doc: 'OSV export zips the scheduled refresh fetches, comma-separated (e.g. Debian/all.zip, npm/all.zip URLs)' },
  BERTH_VULNDB_REFRESH_CRON: { schema: text(), doc: 'when the vulnerability data refresh runs (default `0 0 */6 * * *` when BERTH_VULNDB_URL is set)' },
  BERTH_AUDIT_RETENTION_DAYS: { schema: integer(0, 36500), doc: 'days an audit log record is kept; 0 keeps them forever (default 180)' },
  BERTH_PULL_FLUSH_SECONDS: { schema: integer(1, 3600), doc: 'pull counts are held in memory at most this long before being written (default 10)' },
  BERTH_EXTERNAL_HOST: { schema: z.optional(z.string().check(z.regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/))), doc: 'host[:port] clients pull from, for the resource_url of webhook payloads' },
  BERTH_WEBHOOK_MAX_ATTEMPTS: { schema: integer(1, 99), doc: 'delivery attempts of one webhook notification before it is given up (default 10)' },
} as const;

export type VariableName = keyof typeof variables;

/** The names, for infra/ and docs: `variableNames.BERTH_TABLE === 'BERTH_TABLE'`. */
export const variableNames = Object.fromEntries(Object.keys(variables).map((name) => [name, name])) as { [K in VariableName]: K };

export type Config = { readonly [K in VariableName]: z.output<(typeof variables)[K]['schema']> };

/** A setting that cannot be used; its message is one line naming the variable and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the whole environment; throws ConfigError naming the first variable that is wrong, an
 * unknown `BERTH_*` variable that looks like a misspelt one, or two settings that contradict.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const config: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(variables)) {
    const raw = env[name] === '' ? undefined : env[name];
    const result = variable.schema.safeParse(raw);
    if (!result.success) {
      const shown = /PASSWORD|SECRET|KEY_ID|ACCESS_KEY|TOKEN$/.test(name) ? '(hidden)' : JSON.stringify(raw);
      throw new ConfigError(`${name}=${shown} is not allowed: ${variable.doc} (${result.error.issues[0]?.message ?? 'invalid'})`);
    }
    config[name] = result.data;
  }
  for (const name of Object.keys(env)) {
    if (name in variables || !name.startsWith('BERTH_')) continue;
    const meant = likelyMeant(name);
    if (meant) throw new ConfigError(`${name} is not a Berth variable: did you mean ${meant}?`);
  }
  checkCombinations(config as Config);
  return config as Config;
}

/** Settings that are each fine but cannot go together. */
function checkCombinations(config: Config): void {
  if (config.BERTH_BACKEND === 'aws') {
    for (const name of ['BERTH_BUCKET', 'BERTH_TABLE', 'BERTH_QUEUE_URL'] as const) {
      if (!config[name]) throw new ConfigError(`${name} must be set with BERTH_BACKEND=aws (npm run aws:bootstrap prints the values)`);
    }
  }
  if (config.BERTH_UPLOAD_SERVICE_URL && !config.BERTH_UPLOAD_TOKEN_SECRET) {
    throw new ConfigError('BERTH_UPLOAD_TOKEN_SECRET (at least 32 characters) must be set with BERTH_UPLOAD_SERVICE_URL');
  }
  if (Boolean(config.BERTH_TLS_CERT) !== Boolean(config.BERTH_TLS_KEY)) {
    throw new ConfigError('BERTH_TLS_CERT and BERTH_TLS_KEY go together: set both (HTTPS) or neither (HTTP)');
  }
  if (config.BERTH_AUTH_MODE === 'ldap_auth' && !config.BERTH_LDAP_URL) {
    throw new ConfigError('BERTH_LDAP_URL must be set with BERTH_AUTH_MODE=ldap_auth');
  }
}

/**
 * The known variable an unknown `BERTH_*` name most likely misspells: at most two edits away, or
 * any name of the LDAP family (which is closed). Other unknown names (test harness settings) pass.
 */
function likelyMeant(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const known of Object.keys(variables)) {
    const distance = editDistance(name, known);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: known, distance };
  }
  if (best) return best.name;
  if (name.startsWith('BERTH_LDAP_')) return `one of ${Object.keys(variables).filter((known) => known.startsWith('BERTH_LDAP_')).join(', ')}`;
  return undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
