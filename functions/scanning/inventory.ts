import { type ImageFiles, isWantedPath } from './image-files.js';
import { type InstalledPackage, type OsRelease, ecosystemOf, parseApkInstalled, parseDpkgStatus, parseOsRelease, parsePackageLock } from './package-dbs.js';

/** What an image holds, as far as vulnerabilities go: kept per artifact so a rescan reads no layers. */
export interface Inventory {
  os: OsRelease | null;
  /** The OS packages' OSV ecosystem, or null when the OS is unknown to OSV. */
  ecosystem: string | null;
  packages: InstalledPackage[];
}

/** Reads the package databases out of an image's merged filesystem. */
export function inventoryOf(files: ImageFiles): Inventory {
  const osText = files.read('etc/os-release') ?? files.read('usr/lib/os-release');
  const os = osText ? parseOsRelease(osText.toString('utf8')) : null;
  const ecosystem = ecosystemOf(os);
  const packages: InstalledPackage[] = [];
  const status = files.read('var/lib/dpkg/status');
  if (status) packages.push(...parseDpkgStatus(status.toString('utf8'), '/var/lib/dpkg/status', ecosystem, true));
  for (const path of files.list((p) => p.startsWith('var/lib/dpkg/status.d/'))) {
    packages.push(...parseDpkgStatus(files.read(path)!.toString('utf8'), `/${path}`, ecosystem, false));
  }
  const apk = files.read('lib/apk/db/installed');
  if (apk) packages.push(...parseApkInstalled(apk.toString('utf8'), '/lib/apk/db/installed', ecosystem));
  for (const path of files.list((p) => isWantedPath(p) && p.endsWith('package-lock.json'))) {
    packages.push(...parsePackageLock(files.read(path)!.toString('utf8'), `/${path}`));
  }
  return { os, ecosystem, packages };
}
