import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { defaultEntryPoints } from '../../infra/config/entry-points.js';
import type { BerthStage } from '../../infra/stage/berth-stage.js';
import { prodLike, removeAssemblies, synthStage, templates } from './synth.js';

// The application's own entry points, bundled exactly as `cdk deploy` would, then started the way
// their runtime starts them. Nothing here reaches AWS: `GET /v2/` answers without the table.
let stage: BerthStage;
let api: Template;
let outdir: string;

beforeAll(() => {
  stage = synthStage(prodLike, { bundle: true, entryPoints: defaultEntryPoints });
  api = templates(stage).get('Api-eu-west-1')!;
  outdir = (stage.node.root as App).outdir;
});
afterAll(removeAssemblies);

const runtimeEnv = {
  PATH: process.env.PATH ?? '',
  NODE_NO_WARNINGS: '1',
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  BERTH_BUCKET: 'bucket',
  BERTH_TABLE: 'table',
  BERTH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/jobs',
  BERTH_UPLOAD_SERVICE_URL: 'https://uploads.eu-west-1.registry.example.com',
  BERTH_UPLOAD_TOKEN_SECRET: 'k'.repeat(64),
};

function bundleOf(description: string): string {
  const fn = Object.values(api.findResources('AWS::Lambda::Function', { Properties: { Description: description } }))[0]!;
  const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
  return path.join(outdir, `asset.${hash}`, 'index.mjs');
}

/** Runs `script` in a fresh Node process with the runtime's environment; resolves its stdout. */
function runNode(script: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...runtimeEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`node exited ${code}: ${err}`));
    });
  });
}

const getV2Event = JSON.stringify({
  version: '2.0',
  routeKey: '$default',
  rawPath: '/v2/',
  rawQueryString: '',
  headers: { host: 'eu-west-1.registry.example.com' },
  requestContext: {
    http: { method: 'GET', path: '/v2/', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
    requestId: 'request',
    routeKey: '$default',
    stage: '$default',
    domainName: 'eu-west-1.registry.example.com',
    accountId: '000000000000',
    apiId: 'api',
    time: '',
    timeEpoch: 0,
  },
  isBase64Encoded: false,
});

describe('the bundled application', () => {
  test('the API function answers an HTTP API event for /v2/', async () => {
    const out = await runNode(
      `const { handler } = await import(${JSON.stringify(bundleOf('Berth registry API'))});
       const res = await handler(${getV2Event}, {});
       console.log(JSON.stringify({ status: res.statusCode, version: res.headers['docker-distribution-api-version'] }));`,
    );
    expect(JSON.parse(out)).toEqual({ status: 200, version: 'registry/2.0' });
  });

  test('the worker answers an empty SQS batch with no failures', async () => {
    const out = await runNode(
      `const { handler } = await import(${JSON.stringify(bundleOf('Berth jobs worker'))});
       console.log(JSON.stringify(await handler({ Records: [] }, {})));`,
    );
    expect(JSON.parse(out)).toEqual({ batchItemFailures: [] });
  });

  test('the upload service image serves /v2/ on PORT, as the load balancer checks it', async () => {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(stage.synth().directory, `${stage.regions[0]!.api.artifactId}.assets.json`), 'utf8'),
    ) as { dockerImages: Record<string, { source: { directory: string } }> };
    const dir = path.resolve(stage.synth().directory, Object.values(manifest.dockerImages)[0]!.source.directory);
    const server = path.join(dir, 'dist', 'upload-server.mjs');
    const out = await runNode(
      `import { spawn } from 'node:child_process';
       const child = spawn(process.execPath, [${JSON.stringify(server)}], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'] });
       let buffered = '';
       const url = await new Promise((resolve) => child.stdout.on('data', (chunk) => {
         buffered += chunk;
         const line = buffered.split('\\n').find((l) => l.includes('listening'));
         if (line) resolve(JSON.parse(line).url);
       }));
       const res = await fetch(url + '/v2/');
       console.log(JSON.stringify({ status: res.status }));
       child.kill();`,
    );
    expect(JSON.parse(out)).toEqual({ status: 200 });
  });
});
