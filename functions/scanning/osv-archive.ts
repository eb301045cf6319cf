import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import yauzl from 'yauzl';

/** Largest OSV document read (real ones are a few KiB; a zip bomb entry stops here). */
const maxDocumentBytes = 16 * 1024 * 1024;

export interface OsvDocument {
  name: string;
  text: string;
}

async function* fromDirectory(dir: string): AsyncGenerator<OsvDocument> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* fromDirectory(path);
    else if (entry.isFile() && entry.name.endsWith('.json')) {
      if ((await stat(path)).size > maxDocumentBytes) {
        yield { name: path, text: '' };
        continue;
      }
      yield { name: path, text: await readFile(path, 'utf8') };
    }
  }
}

/** The `.json` entries of an OSV export zip (`all.zip` of an ecosystem), one at a time. */
async function* fromZip(path: string): AsyncGenerator<OsvDocument> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (error, file) => (error ? reject(error) : resolve(file))),
  );
  const next = () =>
    new Promise<yauzl.Entry | null>((resolve, reject) => {
      const onEntry = (entry: yauzl.Entry) => {
        zip.off('end', onEnd);
        zip.off('error', onError);
        resolve(entry);
      };
      const onEnd = () => {
        zip.off('entry', onEntry);
        zip.off('error', onError);
        resolve(null);
      };
      const onError = (error: Error) => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        reject(error);
      };
      zip.once('entry', onEntry);
      zip.once('end', onEnd);
      zip.once('error', onError);
      zip.readEntry();
    });
  try {
    for (let entry = await next(); entry; entry = await next()) {
      if (!entry.fileName.endsWith('.json') || entry.fileName.endsWith('/')) continue;
      if (entry.uncompressedSize > maxDocumentBytes) {
        yield { name: entry.fileName, text: '' };
        continue;
      }
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        zip.openReadStream(entry!, (error, s) => (error ? reject(error) : resolve(s))),
      );
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxDocumentBytes) throw new Error(`${entry.fileName} is larger than its header says`);
        chunks.push(chunk);
      }
      yield { name: entry.fileName, text: Buffer.concat(chunks).toString('utf8') };
    }
  } finally {
    zip.close();
  }
}

/** OSV documents from a directory tree of `.json` files or from an export zip. */
export async function* osvDocuments(path: string): AsyncGenerator<OsvDocument> {
  const info = await stat(path);
  if (info.isDirectory()) yield* fromDirectory(path);
  else yield* fromZip(path);
}
