/**
 * Speed and memory of the compiled server (`npm start`'s dist/server.js) with auth on, side by
 * side with CNCF Distribution 2.8 (Debian's `docker-registry`) in one run:
 *
 * - manifest GET by tag with wrk (32 connections, BENCH_SECONDS each, BENCH_ROUNDS rounds
 *   interleaved, median): Berth with a bearer token, Berth with auth off, Distribution without
 *   auth and Distribution with htpasswd (bcrypt cost 5: its cheapest comparable auth, checked on
 *   every request);
 * - idle RSS of each server after start-up and a few requests;
 * - Berth's peak RSS (VmHWM) while it receives four 1 GiB uploads at once.
 *
 *   npx tsx bench/ops.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort, makeTempDir, run, startDaemon, type Daemon } from '../test/e2e/support/process.js';
import { buildServer, cleanEnv, startServer, type ServerProcess } from '../test/ops/server-process.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const GiB = 1024 ** 3;
const password = 'Bench-Passw0rd';
const manifestType = 'application/vnd.oci.image.manifest.v1+json';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const digestOf = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const rssMiB = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Pushes a one-layer image with plain fetch; `auth` is the Authorization header, if any. */
async function pushImage(base: string, repository: string, auth?: string): Promise<void> {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  const put = async (content: Uint8Array<ArrayBuffer>) => {
    const digest = digestOf(content);
    const response = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: content, headers: { ...headers, 'content-type': 'application/octet-stream' } });
    if (response.status !== 201) {
      // Distribution does not take a monolithic POST: open a session, then PUT.
      const opened = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
      const location = new URL(opened.headers.get('location')!, base);
      location.searchParams.set('digest', digest);
      const done = await fetch(location, { method: 'PUT', body: content, headers: { ...headers, 'content-type': 'application/octet-stream' } });
      if (done.status !== 201) throw new Error(`blob push to ${base}: ${done.status} ${await done.text()}`);
    }
    return { digest, size: content.byteLength };
  };
  const config = await put(new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })));
  const layer = await put(new Uint8Array(4096).fill(7));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: manifestType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  });
  const response = await fetch(`${base}/v2/${repository}/manifests/v1`, { method: 'PUT', body: manifest, headers: { ...headers, 'content-type': manifestType } });
  if (response.status !== 201) throw new Error(`manifest push to ${base}: ${response.status} ${await response.text()}`);
}

async function bearer(base: string, scope: string): Promise<string> {
  const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const response = await fetch(`${base}/service/token?service=berth&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basic } });
  const { token } = (await response.json()) as { token: string };
  return `Bearer ${token}`;
}

async function wrk(url: string, dir: string, auth?: string): Promise<{ rps: number; errors: number }> {
  const script = join(dir, 'headers.lua');
  writeFileSync(script, [`wrk.headers["Accept"] = "${manifestType}"`, ...(auth ? [`wrk.headers["Authorization"] = "${auth}"`] : [])].join('\n'));
  const result = await run('wrk', ['-t', '2', '-c', '32', '-d', `${seconds}s`, '-s', script, url], { timeoutMs: (seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
  return { rps, errors: non2xx };
}

async function startDistribution(dir: string, htpasswd: boolean): Promise<{ url: string; daemon: Daemon }> {
  await mkdir(join(dir, 'data'), { recursive: true });
  const port = await freePort();
  const auth = htpasswd
    ? (() => {
        const hash = execFileSync('python3', ['-W', 'ignore', '-c', `import crypt; print(crypt.crypt('${password}', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)))`]).toString().trim();
        writeFileSync(join(dir, 'htpasswd'), `admin:${hash}\n`);
        return ['auth:', '  htpasswd:', '    realm: bench', `    path: ${join(dir, 'htpasswd')}`];
      })()
    : [];
  writeFileSync(
    join(dir, 'config.yml'),
    ['version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true', 'storage:', '  cache:', '    blobdescriptor: inmemory', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, ...auth, 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'),
  );
  const daemon = startDaemon(`distribution-${htpasswd ? 'htpasswd' : 'open'}`, 'docker-registry', ['serve', join(dir, 'config.yml')], { logFile: join(dir, 'log') });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${url}/v2/`).then(() => true, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, daemon };
}

/** One streaming PATCH of `size` bytes and the closing PUT, through Berth's own upload flow. */
async function bigUpload(base: string, repository: string, size: number, auth: string): Promise<void> {
  const opened = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: { authorization: auth } });
  if (opened.status !== 202) throw new Error(`open: ${opened.status}`);
  const location = new URL(opened.headers.get('location')!, base);
  const chunk = Buffer.alloc(1024 * 1024);
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    const patch = request(location, { method: 'PATCH', headers: { authorization: auth, 'content-type': 'application/octet-stream', 'content-length': String(size) } }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 202 ? resolve() : reject(new Error(`patch: ${response.statusCode}`))));
    });
    patch.on('error', reject);
    let sent = 0;
    const write = () => {
      while (sent < size) {
        chunk.writeUInt32BE(sent / chunk.length, 0);
        hash.update(chunk);
        sent += chunk.length;
        if (!patch.write(Buffer.from(chunk))) return void patch.once('drain', write);
      }
      patch.end();
    };
    write();
  });
  const done = new URL(location);
  done.searchParams.set('digest', `sha256:${hash.digest('hex')}`);
  const closed = await fetch(done, { method: 'PUT', headers: { authorization: auth } });
  if (closed.status !== 201) throw new Error(`close: ${closed.status} ${await closed.text()}`);
}

async function main(): Promise<void> {
  buildServer();
  const work = await makeTempDir('bench-ops');
  const servers: ServerProcess[] = [];
  const daemons: Daemon[] = [];
  try {
    const berthAuth = await startServer(cleanEnv({ BERTH_DATA_DIR: join(work.path, 'berth-auth'), BERTH_ADMIN_PASSWORD: password, BERTH_LOG_LEVEL: 'warn' }));
    const berthOpen = await startServer(cleanEnv({ BERTH_DATA_DIR: join(work.path, 'berth-open'), BERTH_LOG_LEVEL: 'warn' }));
    servers.push(berthAuth, berthOpen);
    const distOpen = await startDistribution(join(work.path, 'dist-open'), false);
    const distAuth = await startDistribution(join(work.path, 'dist-auth'), true);
    daemons.push(distOpen.daemon, distAuth.daemon);
    const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

    const pushToken = await bearer(berthAuth.url, 'repository:bench/app:pull,push');
    await pushImage(berthAuth.url, 'bench/app', pushToken);
    await pushImage(berthOpen.url, 'bench/app');
    await pushImage(distOpen.url, 'bench/app');
    await pushImage(distAuth.url, 'bench/app', basic);
    const pullToken = await bearer(berthAuth.url, 'repository:bench/app:pull');

    await new Promise((resolve) => setTimeout(resolve, 3000));
    const idle = {
      berth: rssMiB(berthAuth.child.pid!, 'VmRSS'),
      distribution: rssMiB(distOpen.daemon.pid, 'VmRSS'),
    };
    console.log(`idle RSS: Berth ${idle.berth.toFixed(1)} MiB, Distribution ${idle.distribution.toFixed(1)} MiB`);

    const targets = [
      { name: 'Berth, bearer token', url: berthAuth.url, auth: pullToken },
      { name: 'Berth, auth off', url: berthOpen.url, auth: undefined },
      { name: 'Distribution, no auth', url: distOpen.url, auth: undefined },
      { name: 'Distribution, htpasswd', url: distAuth.url, auth: basic },
    ];
    const rps = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets) {
        const result = await wrk(`${target.url}/v2/bench/app/manifests/v1`, work.path, target.auth);
        if (result.errors > 0) throw new Error(`${target.name}: ${result.errors} non-2xx answers`);
        rps.get(target.name)!.push(result.rps);
        console.log(`round ${round} ${target.name.padEnd(24)} ${result.rps.toFixed(0)} req/s`);
      }
    }

    const before = rssMiB(berthAuth.child.pid!, 'VmHWM');
    const started = performance.now();
    await Promise.all([0, 1, 2, 3].map((i) => bigUpload(berthAuth.url, 'bench/app', GiB, pushToken).then(() => console.log(`upload ${i} done`))));
    const uploadSeconds = (performance.now() - started) / 1000;
    const peak = rssMiB(berthAuth.child.pid!, 'VmHWM');

    const m = (name: string) => median(rps.get(name)!);
    const load = loadavg().map((v) => v.toFixed(2)).join(' ');
    const lines = [
      `| metric | figure | target |`,
      `|---|---|---|`,
      `| manifest GET, Berth with a bearer token (req/s, median of ${rounds}) | ${m('Berth, bearer token').toFixed(0)} | |`,
      `| manifest GET, Berth auth off | ${m('Berth, auth off').toFixed(0)} | |`,
      `| manifest GET, Distribution no auth | ${m('Distribution, no auth').toFixed(0)} | |`,
      `| manifest GET, Distribution htpasswd | ${m('Distribution, htpasswd').toFixed(0)} | |`,
      `| Berth bearer ÷ Distribution no auth | ${(m('Berth, bearer token') / m('Distribution, no auth')).toFixed(2)}× | ≥ 5× |`,
      `| Berth bearer ÷ Distribution htpasswd | ${(m('Berth, bearer token') / m('Distribution, htpasswd')).toFixed(2)}× | ≥ 5× |`,
      `| Berth bearer ÷ Berth auth off | ${(m('Berth, bearer token') / m('Berth, auth off')).toFixed(2)} | ≥ 0.75 |`,
      `| idle RSS, Berth (MiB) | ${idle.berth.toFixed(1)} | ≤ 60 |`,
      `| idle RSS, Distribution (MiB) | ${idle.distribution.toFixed(1)} | |`,
      `| peak RSS, Berth, four 1 GiB uploads at once (MiB; before: ${before.toFixed(1)}) | ${peak.toFixed(1)} | ≤ 160 |`,
      `| four 1 GiB uploads, wall time (s) | ${uploadSeconds.toFixed(1)} | |`,
    ];
    console.log(`\n${lines.join('\n')}\n\nload average at the end: ${load}`);
  } finally {
    for (const server of servers) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    await work.remove();
  }
}

await main();
