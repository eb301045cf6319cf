import { partitions } from '../table-layout.js';

/**
 * Where content trust keeps its items in the single table (prefix `trust#`, registered in
 * table-layout.ts). One partition per project, so a project's keys and its signed artifacts are
 * each one query away.
 *
 *   pk                 sk                                 item
 *   trust#<project>    key#<name>                         trusted key: kind, pem, algorithm, fingerprint,
 *                                                         projectId (of the project that added it),
 *                                                         identity (anchors), createdAt
 *   trust#<project>    signed#<repository>@<digest>       an artifact that has signatures: what a key
 *                                                         change must re-verify
 *   trust#<project>    sigof#<repository>@<digest>        a signature manifest → the artifact it signs
 *   trust#<project>    parentof#<repository>@<child>#<index>  an index with a verdict → a child that
 *                                                         inherits it
 */
const trustPrefix = partitions.trust;

export const trustKeys = {
  partition: (project: string) => `${trustPrefix}${project}`,
  key: (project: string, name: string) => ({ pk: `${trustPrefix}${project}`, sk: `key#${name}` }),
  keyPrefix: 'key#',
  signed: (project: string, repository: string, digest: string) => ({ pk: `${trustPrefix}${project}`, sk: `signed#${repository}@${digest}` }),
  signedPrefix: 'signed#',
  parent: (project: string, repository: string, child: string, index: string) => ({ pk: `${trustPrefix}${project}`, sk: `parentof#${repository}@${child}#${index}` }),
  parentPrefix: (repository: string, child: string) => `parentof#${repository}@${child}#`,
  signatureOf: (project: string, repository: string, signature: string) => ({ pk: `${trustPrefix}${project}`, sk: `sigof#${repository}@${signature}` }),
} as const;
