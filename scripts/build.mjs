// Compiles the Node entry points to dist/ (one ESM bundle each, shared chunks), so `npm start` runs
// plain JavaScript: no transpiler in the server process. Skips the work when nothing under
// functions/ changed since the last build. `--force` rebuilds.
//
// The small pure-JavaScript packages every start loads are bundled: esbuild then keeps only what
// Berth uses of them (zod/mini's tree-shaking happens only in a bundle: from node_modules the
// server loaded zod's whole core, 99 files), and the server idles about 5 MiB smaller. The rest
// stays in node_modules: the native SQLite addon, the packages that read their own files or
// register globals (prom-client, Powertools), and what loads only on demand (the AWS SDK,
// ldapts, the scanners' libraries).
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist');
const stamp = join(outdir, 'server.js');
const entryPoints = { server: 'functions/entry/server.ts', 'upload-server': 'functions/entry/upload-server.ts', admin: 'functions/entry/admin.ts' };
const bundled = /^(zod|hono|@hono\/node-server|jose|picomatch|semver|croner)(\/|$)/;

/** Leaves every package in node_modules except those `bundled` names. */
const externals = {
  name: 'externals',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (bundled.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

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
    plugins: [externals],
    sourcemap: true,
    logLevel: 'warning',
  });
}
