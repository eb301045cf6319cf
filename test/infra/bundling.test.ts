import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { BerthStage } from '../../infra/stage/berth-stage.js';
import { prodLike, removeAssemblies, synthStage, templates } from './synth.js';

// One synth with real bundling (esbuild, no Docker) of the fixture entry points.
let stage: BerthStage;
let api: Template;
let outdir: string;
let assemblyDir: string;

beforeAll(() => {
  stage = synthStage(prodLike, { bundle: true });
  api = templates(stage).get('Api-eu-west-1')!;
  outdir = (stage.node.root as App).outdir;
  assemblyDir = stage.synth().directory;
});

/** The source directory of the API stack's one container image asset. */
function imageAsset(): { directory: string; platform?: string } {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, `${stage.regions[0]!.api.artifactId}.assets.json`), 'utf8')) as {
    dockerImages: Record<string, { source: { directory: string; platform?: string } }>;
  };
  const images = Object.values(manifest.dockerImages);
  expect(images).toHaveLength(1);
  const { directory, platform } = images[0]!.source;
  return { directory: path.resolve(assemblyDir, directory), platform };
}
afterAll(removeAssemblies);

function assetDirOf(description: string): string {
  const fn = Object.values(api.findResources('AWS::Lambda::Function', { Properties: { Description: description } }))[0]!;
  const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
  return path.join(outdir, `asset.${hash}`);
}

describe('Lambda bundles', () => {
  test.each(['Berth registry API', 'Berth jobs worker'])('%s is minified ESM with its source map', (description) => {
    const dir = assetDirOf(description);
    // The fixtures import nothing on demand, so they have no chunks (the application's do).
    expect(fs.readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/\bexport\s*\{/);
    // CommonJS dependencies inside an ESM bundle get a working `require`.
    expect(code).toContain('createRequire');
    const map = JSON.parse(fs.readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((s) => s.endsWith('.handler.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });
});

describe('upload service image', () => {
  test('is built from the committed Dockerfile around an esbuild bundle, for arm64', () => {
    const { directory: dir, platform } = imageAsset();
    expect(platform).toBe('linux/arm64');
    expect(fs.readdirSync(dir).sort()).toEqual(['Dockerfile', 'dist']);
    expect(fs.readdirSync(path.join(dir, 'dist')).sort()).toEqual(['upload-server.mjs', 'upload-server.mjs.map']);
    const dockerfile = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM .*node:22/m);
    expect(dockerfile).not.toMatch(/^RUN /m);
    expect(dockerfile).toContain('CMD ["node", "upload-server.mjs"]');
  });

  test('the bundle starts on Node', async () => {
    const dir = imageAsset().directory;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [path.join(dir, 'dist', 'upload-server.mjs')], {
      env: { ...process.env, PORT: '0' },
      stdio: 'ignore',
    });
    try {
      // The server only exits if the bundle fails to load; give it a moment to do so.
      const exited = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 1500);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
      expect(exited).toBeNull();
    } finally {
      child.kill();
    }
  });
});
