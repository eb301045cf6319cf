import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BundleSizes, bundleFunction } from '../infra/constructs/function-code.js';

/**
 * `npm run bench:cold-start`: bundles the API handler and two baselines the way the CDK app
 * bundles every function (infra/constructs/function-code.ts: esbuild, ESM, node22, minified, an
 * entry plus chunks loaded on demand, everything bundled: no reliance on the runtime's SDK): a Hono
 * hello-world, and the same hello-world with a DynamoDB document client made at start (what any
 * function keeping its data in DynamoDB pays before its own code). Then times a cold start of each
 * in fresh `node` processes: import the bundle, then answer one `GET /v2/` API Gateway v2 event
 * (no AWS call is needed to answer it, so the figure is the code's own cost, not the network's).
 * Runs alternate between the three; medians are reported.
 *
 *   RUNS (default 9)
 */
const run = promisify(execFile);
const runs = Number(process.env.RUNS ?? 9);
const root = new URL('..', import.meta.url).pathname;

const handlers = {
  api: join(root, 'functions/entry/api.handler.ts'),
  hello: join(root, 'bench/hello-world.handler.ts'),
  helloTable: join(root, 'bench/hello-table.handler.ts'),
} as const;
type Name = keyof typeof handlers;

const event = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/v2/',
  rawQueryString: '',
  headers: { host: 'registry.example.com', 'user-agent': 'bench' },
  requestContext: {
    accountId: '000000000000',
    apiId: 'bench',
    domainName: 'registry.example.com',
    domainPrefix: 'registry',
    http: { method: 'GET', path: '/v2/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
    requestId: 'bench',
    routeKey: '$default',
    stage: '$default',
    time: new Date().toUTCString(),
    timeEpoch: Date.now(),
  },
  isBase64Encoded: false,
};

/** What one fresh process measures: the import, then the first invocation. */
const driver = `
const t0 = performance.now();
const { handler } = await import(process.argv[2]);
const t1 = performance.now();
const result = await handler(${JSON.stringify(event)}, { awsRequestId: 'bench', getRemainingTimeInMillis: () => 30000 });
const t2 = performance.now();
if (result.statusCode !== 200) throw new Error('status ' + result.statusCode + ' ' + result.body);
console.log(JSON.stringify({ importMs: t1 - t0, firstRequestMs: t2 - t1, totalMs: t2 - t0 }));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const dir = await mkdtemp(join(tmpdir(), 'berth-bench-'));
try {
  const bundles = {} as Record<Name, { file: string } & BundleSizes>;
  for (const name of Object.keys(handlers) as Name[]) {
    // Bundled exactly as the CDK app bundles a function (infra/constructs/function-code.ts).
    const out = join(dir, name);
    bundles[name] = { file: join(out, 'index.mjs'), ...bundleFunction(handlers[name], out) };
  }
  const driverFile = join(dir, 'driver.mjs');
  await writeFile(driverFile, driver);

  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    BERTH_BUCKET: 'bench',
    BERTH_TABLE: 'bench',
    BERTH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench',
    // Explicit, as the CDK app sets it on every API function. The function still asks the table
    // once whether identity was ever on (to warn); here no table answers, at once.
    BERTH_AUTH: 'off',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    BERTH_AWS_MAX_ATTEMPTS: '1',
    NODE_NO_WARNINGS: '1',
  };
  const samples: Record<Name, { importMs: number; firstRequestMs: number; totalMs: number; processMs: number }[]> = {
    api: [],
    hello: [],
    helloTable: [],
  };
  for (let index = 0; index < runs; index++) {
    for (const name of Object.keys(handlers) as Name[]) {
      const started = performance.now();
      const { stdout } = await run(process.execPath, [driverFile, bundles[name].file], { env });
      const processMs = performance.now() - started;
      samples[name].push({ ...JSON.parse(stdout.trim().split('\n').at(-1)!), processMs });
    }
  }

  const summary = (name: Name) => ({
    bundleKiB: Math.round(bundles[name].totalBytes / 102.4) / 10,
    loadedAtStartKiB: Math.round(bundles[name].loadedAtStartBytes / 102.4) / 10,
    importMs: Math.round(median(samples[name].map((s) => s.importMs)) * 10) / 10,
    firstRequestMs: Math.round(median(samples[name].map((s) => s.firstRequestMs)) * 10) / 10,
    coldMs: Math.round(median(samples[name].map((s) => s.totalMs)) * 10) / 10,
    processMs: Math.round(median(samples[name].map((s) => s.processMs))),
  });
  const api = summary('api');
  const hello = summary('hello');
  const helloTable = summary('helloTable');
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  console.log(`node ${process.version}, ${runs} fresh processes each, medians`);
  console.table({ 'api.handler': api, 'hello-world': hello, 'hello-world + DynamoDB client': helloTable });
  console.log(
    JSON.stringify({
      loadedAtStartRatio: ratio(api.loadedAtStartKiB, hello.loadedAtStartKiB),
      coldRatio: ratio(api.coldMs, hello.coldMs),
      // What any function that reads DynamoDB pays before its own code: the SDK's floor.
      helloTableColdRatio: ratio(helloTable.coldMs, hello.coldMs),
      coldRatioOverHelloTable: ratio(api.coldMs, helloTable.coldMs),
      processRatio: ratio(api.processMs, hello.processMs),
      targets: {
        bundleUnder1MB: bundles.api.totalBytes < 1_000_000,
        loadedAtStartUnder1MB: bundles.api.loadedAtStartBytes < 1_000_000,
        coldAtMost2x: api.coldMs <= 2 * hello.coldMs,
      },
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
