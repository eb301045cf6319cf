import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * The portal's browser code builds DOM nodes and never parses strings as HTML or code: that is
 * what keeps API text from becoming markup and lets the CSP forbid inline script and eval.
 */
const clientDir = fileURLToPath(new URL('../../functions/ui/client/', import.meta.url));

async function sources(dir: string): Promise<{ path: string; text: string }[]> {
  const found: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts')) found.push({ path, text: await readFile(path, 'utf8') });
  }
  return found;
}

describe('portal browser code', () => {
  test.each([
    ['innerHTML', /\.innerHTML\b/],
    ['outerHTML', /\.outerHTML\b/],
    ['insertAdjacentHTML', /insertAdjacentHTML/],
    ['document.write', /document\.write/],
    ['eval', /\beval\(/],
    ['new Function', /new Function\(/],
    ['string timers', /setTimeout\(\s*['"`]/],
    ['inline style attributes', /setAttribute\(\s*['"]style['"]/],
  ])('never uses %s', async (_, pattern) => {
    const files = await sources(clientDir);
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((file) => pattern.test(file.text)).map((file) => file.path)).toEqual([]);
  });
});
