import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface Row {
  pk: string;
  sk: string;
  expires_at: number | null;
  item: string;
}

async function hashFile(path: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/**
 * Reads the data directory the killed server left, before anything restarts on it (the layout is
 * documented in functions/entry/local-deps.ts, FsBlobStore and registry/keys.ts), and returns
 * every broken invariant:
 *
 *  - every file under blobs/ hashes to its own name: no partial or torn blob, whatever the kill
 *    interrupted;
 *  - every table item that points at bytes or at another item finds them: linked blobs and blob
 *    records have their file at the recorded size, large manifests their bytes, tags and referrer
 *    entries their manifest, repositories their catalog entry;
 *  - every open upload session still has the bytes it acknowledged: its upload file holds at least
 *    `state.size` bytes, or (once its commit began) the blob it is committing does.
 *
 * `hashed` remembers files already hashed (blob files never change once named).
 */
export async function checkDataDir(dataDir: string, hashed: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  const blobsDir = join(dataDir, 'blobs');
  const blobSizes = new Map<string, number>();
  for (const algorithm of await readdir(blobsDir).catch(() => [] as string[])) {
    for (const prefix of await readdir(join(blobsDir, algorithm))) {
      for (const hex of await readdir(join(blobsDir, algorithm, prefix))) {
        const path = join(blobsDir, algorithm, prefix, hex);
        const info = await stat(path);
        blobSizes.set(`${algorithm}:${hex}`, info.size);
        const id = `${path}:${info.size}:${info.mtimeMs}`;
        if (hashed.has(id)) continue;
        const actual = await hashFile(path, algorithm);
        if (actual !== hex || !hex.startsWith(prefix)) problems.push(`blob file ${algorithm}/${prefix}/${hex} (${info.size} B) hashes to ${actual}`);
        else hashed.add(id);
      }
    }
  }

  const db = new Database(join(dataDir, 'registry.db'), { readonly: true, fileMustExist: true });
  let rows: Row[];
  try {
    rows = db.prepare<[], Row>('SELECT pk, sk, expires_at, item FROM items').all();
  } finally {
    db.close();
  }
  const now = Date.now() / 1000;
  const live = rows.filter((row) => row.expires_at === null || row.expires_at > now);
  const keys = new Set(live.map((row) => `${row.pk}\u0000${row.sk}`));
  const has = (pk: string, sk: string) => keys.has(`${pk}\u0000${sk}`);

  for (const row of live) {
    const item = JSON.parse(row.item) as Record<string, unknown>;
    const where = `${row.pk} / ${row.sk}`;
    if (row.pk.startsWith('repo#') && row.sk.startsWith('blob#')) {
      const digest = row.sk.slice('blob#'.length);
      if (blobSizes.get(digest) !== item.size) problems.push(`${where} links a blob whose file holds ${blobSizes.get(digest) ?? 'nothing'} (recorded ${String(item.size)})`);
    } else if (row.pk.startsWith('blob#') && row.sk === 'meta') {
      const digest = row.pk.slice('blob#'.length);
      if (blobSizes.get(digest) !== item.size) problems.push(`${where} records a blob whose file holds ${blobSizes.get(digest) ?? 'nothing'}`);
    } else if (row.pk.startsWith('repo#') && row.sk.startsWith('manifest#')) {
      const digest = row.sk.slice('manifest#'.length);
      if (item.inBlobStore && blobSizes.get(digest) !== item.size) problems.push(`${where} keeps its bytes in the blob store, which holds ${blobSizes.get(digest) ?? 'nothing'}`);
      if (!item.inBlobStore && typeof item.body !== 'string') problems.push(`${where} has neither an inline body nor stored bytes`);
    } else if (row.pk.startsWith('repo#') && row.sk.startsWith('tag#')) {
      if (!has(row.pk, `manifest#${String(item.digest)}`)) problems.push(`${where} names manifest ${String(item.digest)}, which is not there`);
    } else if (row.pk.startsWith('repo#') && row.sk.startsWith('referrer#')) {
      if (!has(row.pk, `manifest#${String(item.digest)}`)) problems.push(`${where} lists manifest ${String(item.digest)}, which is not there`);
    } else if (row.pk.startsWith('repo#') && row.sk === 'meta') {
      if (!has('catalog', row.pk.slice('repo#'.length))) problems.push(`${where} has no catalog entry`);
    } else if (row.pk === 'catalog') {
      if (!has(`repo#${row.sk}`, 'meta')) problems.push(`catalog entry ${row.sk} has no repository`);
    } else if (row.pk.startsWith('upload#') && row.sk === 'session') {
      const size = (item.state as { size: number }).size;
      const held = await sizeOf(join(dataDir, 'uploads', row.pk.slice('upload#'.length)));
      const committing = typeof item.committing === 'string' ? blobSizes.get(item.committing) : undefined;
      if ((held === null || held < size) && committing !== size) {
        problems.push(`upload session ${row.pk} acknowledged ${size} bytes, its upload file holds ${held ?? 'nothing'}${item.committing ? ` and blob ${String(item.committing)} ${committing ?? 'nothing'}` : ''}`);
      }
    }
  }
  return problems;
}

/**
 * The audit trail the job queue wrote (`<action> <repository> <digest> <tag>` per record), and how
 * many jobs are still queued or dead-lettered. Read while the server runs (WAL allows a reader).
 */
export function auditTrail(dataDir: string): { queued: number; deadLetters: number; records: Set<string>; duplicates: string[] } {
  const db = new Database(join(dataDir, 'registry.db'), { readonly: true, fileMustExist: true });
  try {
    const count = (pk: string) => db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM items WHERE pk = ?').get(pk)!.n;
    const records = new Set<string>();
    const ids = new Map<string, number>();
    for (const row of db.prepare<[], { item: string }>("SELECT item FROM items WHERE pk >= 'audit#' AND pk < 'audit$'").all()) {
      const item = JSON.parse(row.item) as { id: string; action: string; repository: string; digest: string; tag?: string };
      records.add(`${item.action} ${item.repository} ${item.digest} ${item.tag ?? ''}`);
      ids.set(item.id, (ids.get(item.id) ?? 0) + 1);
    }
    // Each event reaches the audit consumer once: one record per event id, and one delivery mark.
    const delivered = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM items WHERE pk >= 'delivered#audit#' AND pk < 'delivered#audit$'").get()!.n;
    const duplicates = [...ids].filter(([, n]) => n > 1).map(([id]) => `event ${id} has ${ids.get(id)} audit records`);
    if (delivered !== ids.size) duplicates.push(`${ids.size} audit records but ${delivered} audit deliveries`);
    const queued = count('queue#jobs') + count('queue#jobs-long');
    return { queued, deadLetters: count('queue#jobs#dlq') + count('queue#jobs-long#dlq'), records, duplicates };
  } finally {
    db.close();
  }
}
