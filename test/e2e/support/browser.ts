/**
 * Debian's Chromium driven by playwright-core: no browser download, the flags that make it start
 * quickly and quietly as root in a container.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Where browser tests leave their screenshots (BERTH_SCREENSHOTS, else a folder under the OS temp dir). */
export async function screenshotDir(name: string): Promise<string> {
  const dir = join(process.env.BERTH_SCREENSHOTS ?? join(tmpdir(), 'berth-screenshots'), name);
  await mkdir(dir, { recursive: true });
  return dir;
}
