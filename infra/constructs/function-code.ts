import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack, Stage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import esbuild from 'esbuild';
import type { Construct } from 'constructs';

/** ESM bundles still meet CommonJS dependencies that call `require`; give them one. */
const requireShim =
  "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);";

/**
 * A function's code: its entry bundled by the esbuild in devDependencies (never Docker) into
 * `index.mjs` plus the chunks it shares or loads on demand (`chunks/`). ESM, Node 22, minified,
 * with source maps but no sources. Every dependency is bundled, the AWS SDK too: the version in
 * package-lock.json is the one tested, not the one the runtime happens to ship.
 *
 * Why chunks rather than `NodejsFunction`'s single file: in one file every `import()` is inlined,
 * so a cold start parses code only a rare request runs (the S3 and SQS clients, the scanners'
 * libraries). Split, the entry loads what its first request needs and the rest arrives with the
 * request that needs it.
 *
 * Like `NodejsFunction`, it skips bundling for stacks the CLI is not deploying (the
 * `aws:cdk:bundling-stacks` context); the code then points at the entry's directory and must not
 * be deployed.
 */
export function functionCode(scope: Construct, entry: string): Code {
  if (!fs.existsSync(entry)) throw new Error(`Cannot find the function entry file at ${entry}`);
  if (!Stack.of(scope).bundlingRequired) return Code.fromAsset(path.dirname(entry));
  return Code.fromAsset(bundleOnce(scope, entry));
}

const bundles = new Map<string, string>();

/** One bundle per assembly and entry: every region of every stage ships the same code. */
function bundleOnce(scope: Construct, entry: string): string {
  const root = scope.node.root;
  if (!Stage.isStage(root)) throw new Error('Function code must be bundled inside a CDK App');
  const name = path.basename(entry).replace(/\.[cm]?ts$/, '').replaceAll('.', '-');
  const dir = path.join(root.outdir, `bundling-${name}-${createHash('sha256').update(path.resolve(entry)).digest('hex').slice(0, 8)}`);
  const key = `${dir}\0${entry}`;
  const existing = bundles.get(key);
  if (existing) return existing;

  bundleFunction(entry, dir);
  bundles.set(key, dir);
  return dir;
}

/**
 * How Berth's code is bundled for AWS (the functions and the upload service's image): ESM for
 * Node 22, minified, source maps without sources, every dependency included.
 */
export const nodeBundleOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  // The SDK's ES module builds shake far better than the CommonJS ones esbuild picks for Node.
  mainFields: ['module', 'main'],
  banner: { js: requireShim },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
} satisfies esbuild.BuildOptions;

/** What a bundle holds: every file's bytes, and the bytes a cold start loads (the entry and its static imports). */
export interface BundleSizes {
  totalBytes: number;
  loadedAtStartBytes: number;
  /** The source files bundled (paths relative to the working directory, as esbuild names them). */
  inputs: string[];
}

/**
 * What only a Lambda function's bundle leaves out or replaces:
 * - the SDK's Node credential chain gives way to the environment's credentials, which is where
 *   Lambda puts the function role's (functions/entry/lambda-credentials.ts);
 * - `bowser`, the user-agent parser of the SDK's browser build: core's shared client module
 *   names it in an `import()` no Node code path reaches, and esbuild keeps every `import()`.
 */
const lambdaOnly = {
  alias: { '@aws-sdk/credential-provider-node': fileURLToPath(new URL('../../functions/entry/lambda-credentials.ts', import.meta.url)) },
  external: ['bowser'],
} satisfies esbuild.BuildOptions;

/** Bundles `entry` into `dir` (emptied first) as every Berth function is bundled. */
export function bundleFunction(entry: string, dir: string): BundleSizes {
  fs.rmSync(dir, { recursive: true, force: true });
  const { metafile } = esbuild.buildSync({
    entryPoints: { index: entry },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    ...nodeBundleOptions,
    ...lambdaOnly,
    splitting: true,
    metafile: true,
  });
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
  const byFile = new Map(outputs);
  const entryFile = outputs.find(([, output]) => output.entryPoint !== undefined && path.resolve(output.entryPoint) === path.resolve(entry))![0];
  const loaded = new Set<string>();
  const pending = [entryFile];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (loaded.has(file)) continue;
    loaded.add(file);
    for (const imported of byFile.get(file)!.imports) if (imported.kind === 'import-statement' && byFile.has(imported.path)) pending.push(imported.path);
  }
  return {
    totalBytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    loadedAtStartBytes: [...loaded].reduce((sum, file) => sum + byFile.get(file)!.bytes, 0),
    inputs: Object.keys(metafile.inputs),
  };
}
