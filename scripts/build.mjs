// Compiles the Node entry points to dist/ (one ESM bundle each, shared chunks, packages left in
// node_modules), so `npm start` runs plain JavaScript: no transpiler in the server process.
// Skips the work when nothing under functions/ changed since the last build. `--force` rebuilds.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist');
const stamp = join(outdir, 'server.js');
const entryPoints = { server: 'functions/entry/server.ts', 'upload-server': 'functions/entry/upload-server.ts', admin: 'functions/entry/admin.ts' };

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const sources = Math.max(newest(join(root, 'functions')), statSync(join(root, 'package.json')).mtimeMs, statSync(join(root, 'scripts/build.mjs')).mtimeMs);
if (process.argv.includes('--force') || sources > built) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}
