/**
 * Scanning's items in the single table (prefixes registered in table-layout.ts).
 *
 *   pk                                  sk                      item
 *   vulndb#<ecosystem>#<package>        <advisory id>           one advisory for one package (osv.ts Advisory)
 *   vulndbmeta                          meta                    generation, importedAt, source, counts
 *   scan#<repository>@<digest>          status                  scan status, summary, report/inventory generation
 *                                       gsi1: scanned / <repository>@<digest>   (every scanned artifact, for rescans)
 *   scan#<repository>@<digest>          inventory#<gen>#<n>     chunk n of the package inventory (JSON)
 *   scan#<repository>@<digest>          report#<gen>#<n>        chunk n of the vulnerability report (JSON)
 *   scanner#<uuid>                      meta                    a scanner registration (gsi1: scanners / <name>)
 *   scannername#<name>                  meta                    claims a registration's name (names are unique)
 *   scanconfig                          <name>                  system CVE allowlist, default scanner
 *   scanreq#<id>                        meta / report#...       a scan request taken by Berth's own adapter API
 */
export const scanKeys = {
  advisories: (ecosystem: string, pkg: string) => `vulndb#${ecosystem}#${pkg}`,
  vulndbMeta: { pk: 'vulndbmeta', sk: 'meta' },
  artifact: (repository: string, digest: string) => `scan#${repository}@${digest}`,
  scannedIndex: 'scanned',
  scanner: (uuid: string) => ({ pk: `scanner#${uuid}`, sk: 'meta' }),
  scannersIndex: 'scanners',
  scannerName: (name: string) => ({ pk: `scannername#${name}`, sk: 'meta' }),
  config: (name: string) => ({ pk: 'scanconfig', sk: name }),
  request: (id: string) => `scanreq#${id}`,
} as const;
