import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { defaultEntryPoints } from '../../infra/config/entry-points.js';
import { envNames } from '../../infra/stacks/api-stack.js';
import type { BerthStage } from '../../infra/stage/berth-stage.js';
import { type MotoStack, startMotoStack } from '../support/aws-stack.js';
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
  // Every stage sets it explicitly (infra/stacks/api-stack.ts); unset, the app would ask the table
  // whether identity was ever on.
  BERTH_AUTH: 'off',
  BERTH_LONG_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/long-jobs',
  BERTH_UPLOAD_SERVICE_URL: 'https://uploads.eu-west-1.registry.example.com',
  BERTH_UPLOAD_TOKEN_SECRET: 'k'.repeat(64),
};

function bundleOf(description: string): string {
  const fn = Object.values(api.findResources('AWS::Lambda::Function', { Properties: { Description: description } }))[0]!;
  const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
  return path.join(outdir, `asset.${hash}`, 'index.mjs');
}

/**
 * Runs `script` in a fresh Node process with the runtime's environment (or, with `exactly`, with
 * `env` alone); resolves the last line the script printed (the app's log lines come before it).
 */
function runNode(script: string, env: Record<string, string> = {}, exactly = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: exactly ? env : { ...runtimeEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim().split('\n').at(-1) ?? '');
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

/** The files a cold start of `entry` loads: it and every chunk it imports statically, transitively. */
function loadedAtStart(entry: string): string[] {
  const loaded = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (loaded.has(file)) continue;
    loaded.add(file);
    const code = fs.readFileSync(file, 'utf8');
    // Minified static imports: `import{a as b}from"./chunks/x.mjs"` or `import"./x.mjs"`; an
    // `import("./x.mjs")` call is loaded only when the code reaches it.
    for (const match of code.matchAll(/import\s*(?:[\w$*{}\s,]+from\s*)?["'](\.[^"']+\.mjs)["']/g)) {
      pending.push(path.resolve(path.dirname(file), match[1]!));
    }
  }
  return [...loaded];
}

describe('the bundled application', () => {
  test('the API function loads under 1 MB at a cold start; what only some requests need comes in chunks', () => {
    const entry = bundleOf('Berth registry API');
    const loaded = loadedAtStart(entry);
    const bytes = (files: string[]) => files.reduce((sum, file) => sum + fs.statSync(file).size, 0);
    const chunksDir = path.join(path.dirname(entry), 'chunks');
    const all = [entry, ...fs.readdirSync(chunksDir).filter((f) => f.endsWith('.mjs')).map((f) => path.join(chunksDir, f))];
    expect(bytes(loaded)).toBeLessThan(1_000_000);
    // The S3 client (blob redirects) and the scanners' tar reader stay out of a cold start.
    const onDemand = all.filter((file) => !loaded.includes(file)).map((file) => fs.readFileSync(file, 'utf8'));
    expect(onDemand.some((code) => code.includes('PutObjectCommand'))).toBe(true);
    expect(loaded.some((file) => fs.readFileSync(file, 'utf8').includes('PutObjectCommand'))).toBe(false);
  });


  test('the API function holds none of the code only jobs run, and only the credentials Lambda gives', () => {
    const code = (description: string) => {
      const entry = bundleOf(description);
      const chunksDir = path.join(path.dirname(entry), 'chunks');
      return [entry, ...fs.readdirSync(chunksDir).filter((f) => f.endsWith('.mjs')).map((f) => path.join(chunksDir, f))].map((file) => fs.readFileSync(file, 'utf8')).join('\n');
    };
    const apiCode = code('Berth registry API');
    const workerCode = code('Berth jobs worker');
    // Scanning's jobs (scanning/scanning-jobs.ts) and what they load: the tar reader, the zip
    // reader, the CVSS v4 calculator. Each marker is a string literal of that code.
    const jobsOnly = {
      'scan job': 'sent a report without vulnerabilities',
      'vulnerability data refresh': 'berth-vulndb-',
      'tar reader': 'Invalid tar header',
      'zip reader': 'end of central directory record signature',
      'CVSS v4 calculator': 'Cvss4P0',
    };
    for (const [what, marker] of Object.entries(jobsOnly)) {
      expect(workerCode.includes(marker), `the worker has the ${what}`).toBe(true);
      expect(apiCode.includes(marker), `the API function has the ${what}`).toBe(false);
    }
    // The Node credential chain (profiles, SSO, instance metadata...) is replaced by the environment's.
    for (const [name, bundle] of Object.entries({ api: apiCode, worker: workerCode })) {
      expect(bundle.includes('Could not load credentials from any providers'), `${name}: the Node credential chain`).toBe(false);
      expect(bundle.includes('Unable to find environment variable credentials'), `${name}: the environment's credentials`).toBe(true);
    }
  });

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
    const out = await runNode(serveOnce(uploadServerBundle(), `const res = await fetch(url + '/v2/'); console.log(JSON.stringify({ status: res.status }));`));
    expect(JSON.parse(out)).toEqual({ status: 200 });
  });
});

/** The upload service's bundled server, as the image runs it. */
function uploadServerBundle(): string {
  const manifest = JSON.parse(
      fs.readFileSync(path.join(stage.synth().directory, `${stage.regions[0]!.api.artifactId}.assets.json`), 'utf8'),
    ) as { dockerImages: Record<string, { source: { directory: string } }> };
    const dir = path.resolve(stage.synth().directory, Object.values(manifest.dockerImages)[0]!.source.directory);
  return path.join(dir, 'dist', 'upload-server.mjs');
}

/** A script that starts `server` on a free loopback port, runs `body` with its `url`, and stops it. */
function serveOnce(server: string, body: string): string {
  return `import { spawn } from 'node:child_process';
    const child = spawn(process.execPath, [${JSON.stringify(server)}], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let buffered = '';
      const url = await new Promise((resolve) => child.stdout.on('data', (chunk) => {
        buffered += chunk;
        const line = buffered.split('\\n').find((l) => l.includes('listening'));
        if (line) resolve(JSON.parse(line).url);
      }));
      ${body}
    } finally {
      child.kill();
    }`;
}

/**
 * The environment a deployed runtime gets, from the template: literal values as they are, and the
 * values CloudFormation or ECS fill in at deploy or start time (resource names, secrets) from
 * `resolved`. A variable the template fills in that `resolved` does not name fails the test.
 */
function deployedEnv(variables: Record<string, unknown>, resolved: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') env[name] = value;
    else if (name in resolved) env[name] = resolved[name]!;
    else throw new Error(`${name} is filled in at deploy time and the test does not know its value`);
  }
  return env;
}

describe('the bundled application with the environment the stack gives it, auth on', () => {
  let stack: MotoStack;
  const password = 'Deployed-admin-password-1';
  let resolved: Record<string, string>;

  beforeAll(async () => {
    stack = await startMotoStack();
    resolved = {
      [envNames.bucket]: stack.env.BERTH_BUCKET!,
      [envNames.table]: stack.env.BERTH_TABLE!,
      [envNames.queueUrl]: stack.env.BERTH_QUEUE_URL!,
      [envNames.longQueueUrl]: stack.env.BERTH_LONG_QUEUE_URL!,
      [envNames.uploadTokenSecret]: 'k'.repeat(64),
      [envNames.adminPassword]: password,
    };
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  /** The deployed environment pointed at moto: the endpoint, test credentials and moto's region. */
  const onMoto = (env: Record<string, string>): Record<string, string> => ({ PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...env, ...stack.moto.env });

  test('a token from the API function opens the upload service; nothing opens either without one', async () => {
    const apiVariables = Object.values(api.findResources('AWS::Lambda::Function', { Properties: { Description: 'Berth registry API' } }))[0]!
      .Properties.Environment.Variables as Record<string, unknown>;
    const container = Object.values(api.findResources('AWS::ECS::TaskDefinition'))[0]!.Properties.ContainerDefinitions[0] as {
      Environment: { Name: string; Value: unknown }[];
      Secrets: { Name: string }[];
    };
    const taskVariables: Record<string, unknown> = Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));
    for (const secret of container.Secrets) taskVariables[secret.Name] = { secret: secret.Name };
    const apiEnv = onMoto(deployedEnv(apiVariables, resolved));
    const taskEnv = onMoto(deployedEnv(taskVariables, resolved));
    expect(taskEnv[envNames.uploadServiceUrl]).toBeUndefined();

    const tokenEvent = JSON.parse(getV2Event) as { rawPath: string; headers: Record<string, string>; requestContext: { http: { path: string } } };
    tokenEvent.rawPath = tokenEvent.requestContext.http.path = '/service/token';
    tokenEvent.headers.authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    const fromApi = JSON.parse(
      await runNode(
        `const { handler } = await import(${JSON.stringify(bundleOf('Berth registry API'))});
         const anonymous = await handler(${getV2Event}, {});
         const token = await handler(${JSON.stringify(tokenEvent)}, {});
         const body = JSON.parse(Buffer.from(token.body, token.isBase64Encoded ? 'base64' : 'utf8').toString());
         console.log(JSON.stringify({ anonymous: anonymous.statusCode, challenge: anonymous.headers['www-authenticate'], status: token.statusCode, token: body.token }));`,
        apiEnv,
        true,
      ),
    ) as { anonymous: number; challenge: string; status: number; token: string };
    expect(fromApi.anonymous).toBe(401);
    expect(fromApi.challenge).toBe('Bearer realm="https://eu-west-1.registry.example.com/service/token",service="eu-west-1.registry.example.com"');
    expect(fromApi.status).toBe(200);
    expect(fromApi.token.split('.')).toHaveLength(3);

    const onUploadService = JSON.parse(
      await runNode(
        serveOnce(
          uploadServerBundle(),
          `const anonymous = await fetch(url + '/v2/');
           const withToken = await fetch(url + '/v2/', { headers: { authorization: 'Bearer ${fromApi.token}' } });
           console.log(JSON.stringify({ anonymous: anonymous.status, challenge: anonymous.headers.get('www-authenticate'), withToken: withToken.status }));`,
        ),
        taskEnv,
        true,
      ),
    ) as { anonymous: number; challenge: string; withToken: number };
    // 401 is a healthy answer to the load balancer's check (matcher 200,401).
    expect(onUploadService).toEqual({
      anonymous: 401,
      challenge: 'Bearer realm="https://eu-west-1.registry.example.com/service/token",service="eu-west-1.registry.example.com"',
      withToken: 200,
    });
  }, 60_000);
});
