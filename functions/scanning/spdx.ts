import type { Inventory } from './inventory.js';

/** SPDX 2.3 JSON's media type (the `sbom_media_type` of the scanner API). */
export const spdxMediaType = 'application/spdx+json';

/**
 * The inventory as an SPDX 2.3 JSON document: the image as the described package, every package
 * found in it CONTAINed by it, each with its package-url. Nothing is asserted about licenses or
 * download locations the image does not state (NOASSERTION, as SPDX asks).
 */
export function spdxOf(inventory: Inventory, repository: string, digest: string, created: Date, tool: string): Record<string, unknown> {
  const imageId = 'SPDXRef-Image';
  const packages = inventory.packages.map((pkg, n) => ({
    SPDXID: `SPDXRef-Package-${pkg.type}-${n + 1}`,
    name: pkg.name,
    versionInfo: pkg.version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(pkg.source && pkg.source !== pkg.name ? { sourceInfo: `built from source package ${pkg.source} ${pkg.sourceVersion ?? ''}`.trim() } : {}),
    comment: `found in ${pkg.path}`,
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }],
  }));
  const name = repository.split('/').pop() ?? repository;
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${repository}@${digest}`,
    documentNamespace: `https://spdx.org/spdxdocs/berth/${encodeURIComponent(repository)}/${digest.replace(':', '-')}-${created.getTime()}`,
    creationInfo: { created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: [`Tool: ${tool}`] },
    packages: [
      {
        SPDXID: imageId,
        name: repository,
        versionInfo: digest,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: 'NOASSERTION',
        copyrightText: 'NOASSERTION',
        primaryPackagePurpose: 'CONTAINER',
        ...(inventory.os?.prettyName ? { description: inventory.os.prettyName } : {}),
        externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:oci/${encodeURIComponent(name)}@${encodeURIComponent(digest)}?repository_url=${encodeURIComponent(repository)}` }],
      },
      ...packages,
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
      ...packages.map((p) => ({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
    ],
  };
}
