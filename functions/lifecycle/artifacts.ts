import type { AppDeps } from '../app-env.js';
import { parseManifest } from '../core/manifest.js';
import type { Item } from '../ports/table.js';
import { keys } from '../registry/keys.js';
import { ImmutableRules, ruleApplies } from './immutable-rules.js';
import { numericId } from './repositories.js';

/** Configs larger than this are not read for `extra_attrs`. */
const maxConfigBytes = 1024 * 1024;

export interface ArtifactOptions {
  withTag: boolean;
  withLabel: boolean;
  withScanOverview: boolean;
  withAccessory: boolean;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: Record<string, unknown>;
  annotations?: Record<string, string>;
  urls?: string[];
}

interface ParsedBody {
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** Harbor's accessory types, from the referrer's artifact type. */
function accessoryType(artifactType: string | undefined): string {
  if (artifactType === 'application/vnd.dev.cosign.artifact.sig.v1+json') return 'signature.cosign';
  if (artifactType === 'application/vnd.cncf.notary.signature') return 'signature.notation';
  if (artifactType?.includes('sbom') || artifactType?.includes('spdx') || artifactType?.includes('cyclonedx')) return 'harbor.sbom';
  return 'subject.accessory';
}

/** Harbor's artifact `type`, from the config's media type. */
function artifactKind(configType: string | undefined, isIndex: boolean): string {
  if (isIndex) return 'IMAGE';
  if (configType === 'application/vnd.oci.image.config.v1+json' || configType === 'application/vnd.docker.container.image.v1+json') return 'IMAGE';
  if (configType === 'application/vnd.cncf.helm.config.v1+json') return 'CHART';
  if (configType === 'application/vnd.cnab.config.v1+json') return 'CNAB';
  return 'UNKNOWN';
}

/**
 * Artifacts as Harbor's API shows them: each top-level manifest of a repository (an index's
 * children appear as its `references`, signatures and SBOMs as `accessories` of their subject),
 * with its tags, sizes, push and pull times, and the attributes of its config.
 */
export class Artifacts {
  private readonly rules: ImmutableRules;

  constructor(private readonly deps: AppDeps) {
    this.rules = new ImmutableRules(deps.table);
  }

  /** Everything the repository's partition holds, read once for a page of views. */
  async partition(repository: string): Promise<Item[]> {
    return this.deps.table.query(keys.repository(repository).pk);
  }

  /** Digests of the top-level artifacts, newest push first. */
  topLevel(items: Item[]): Item[] {
    const manifests = items.filter((item) => item.sk.startsWith('manifest#'));
    const children = new Set<string>();
    for (const item of manifests) {
      if (typeof item.body !== 'string') continue;
      try {
        for (const child of parseManifest(Buffer.from(item.body, 'utf8'), item.mediaType as string).manifests) children.add(child);
      } catch {
        // A stored manifest always parses; a damaged one is still listed.
      }
    }
    return manifests
      .filter((item) => !item.subject && !children.has(item.sk.slice('manifest#'.length)))
      .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  }

  async body(item: Item): Promise<ParsedBody> {
    let text: string;
    if (typeof item.body === 'string') text = item.body;
    else {
      const stream = await this.deps.blobs.open(item.sk.slice('manifest#'.length));
      if (!stream) return {};
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      text = Buffer.concat(chunks).toString('utf8');
    }
    return JSON.parse(text) as ParsedBody;
  }

  private async configOf(descriptor: Descriptor | undefined): Promise<Record<string, unknown> | null> {
    if (!descriptor || descriptor.size > maxConfigBytes) return null;
    const stream = await this.deps.blobs.open(descriptor.digest);
    if (!stream) return null;
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  /** The view of one manifest item of `repository` (project id given for Harbor's fields). */
  async view(repository: string, item: Item, items: Item[], projectId: number, options: ArtifactOptions): Promise<Record<string, unknown>> {
    const digest = item.sk.slice('manifest#'.length);
    const body = await this.body(item);
    const isIndex = Array.isArray(body.manifests);
    const repositoryId = numericId(repository);
    const artifactId = numericId(`${repository}@${digest}`);
    const pulled = items.find((i) => i.sk === keys.pulled(repository, digest).sk);
    const config = isIndex ? null : await this.configOf(body.config);

    let size = item.size as number;
    if (isIndex) {
      for (const child of body.manifests ?? []) {
        const stored = items.find((i) => i.sk === `manifest#${child.digest}`);
        if (!stored) continue;
        const childBody = await this.body(stored);
        size += (stored.size as number) + (childBody.config?.size ?? 0) + (childBody.layers ?? []).reduce((sum, layer) => sum + layer.size, 0);
      }
    } else {
      size += (body.config?.size ?? 0) + (body.layers ?? []).reduce((sum, layer) => sum + layer.size, 0);
    }

    const view: Record<string, unknown> = {
      id: artifactId,
      type: artifactKind(body.config?.mediaType, isIndex),
      media_type: isIndex ? item.mediaType : (body.config?.mediaType ?? item.mediaType),
      manifest_media_type: item.mediaType,
      ...(item.artifactType ? { artifact_type: item.artifactType } : {}),
      project_id: projectId,
      repository_id: repositoryId,
      repository_name: repository,
      digest,
      size,
      icon: '',
      push_time: item.createdAt,
      pull_time: (pulled?.lastPulledAt as string | undefined) ?? '0001-01-01T00:00:00.000Z',
      extra_attrs: config
        ? {
            architecture: config.architecture,
            os: config.os,
            ...(config.variant === undefined ? {} : { variant: config.variant }),
            ...(config['os.version'] === undefined ? {} : { 'os.version': config['os.version'] }),
            created: config.created,
            author: config.author,
            config: config.config ?? {},
          }
        : {},
      annotations: body.annotations ?? {},
      references: isIndex
        ? (body.manifests ?? []).map((child) => ({
            parent_id: artifactId,
            child_id: numericId(`${repository}@${child.digest}`),
            child_digest: child.digest,
            ...(child.platform ? { platform: child.platform } : {}),
            ...(child.annotations ? { annotations: child.annotations } : {}),
            ...(child.urls ? { urls: child.urls } : {}),
          }))
        : [],
      addition_links: {
        ...(isIndex ? {} : { build_history: { href: `/api/v2.0/projects/${repository.split('/')[0]}/repositories/${encodeURIComponent(encodeURIComponent(repository.slice(repository.indexOf('/') + 1)))}/artifacts/${digest}/additions/build_history`, absolute: false } }),
      },
    };
    if (options.withTag) view.tags = await this.tags(repository, digest, items, artifactId);
    if (options.withLabel) view.labels = [];
    const extras: Record<string, unknown> = {};
    for (const capability of this.deps.capabilities ?? []) Object.assign(extras, await capability.artifactExtras?.(repository, digest));
    if (options.withScanOverview && extras.scan_overview !== undefined) view.scan_overview = extras.scan_overview;
    if (options.withAccessory) view.accessories = extras.accessories ?? this.accessories(repository, digest, items, artifactId);
    return view;
  }

  /** Tags of the manifest, in Harbor's `Tag` shape, with whether an immutable rule holds each. */
  async tags(repository: string, digest: string, items: Item[], artifactId: number) {
    const rules = await this.rules.list(repository.split('/')[0]!);
    const pulled = items.find((i) => i.sk === keys.pulled(repository, digest).sk);
    return items
      .filter((item) => item.sk.startsWith('tag#') && item.digest === digest)
      .map((item) => {
        const name = item.sk.slice('tag#'.length);
        return {
          id: numericId(`${repository}:${name}`),
          repository_id: numericId(repository),
          artifact_id: artifactId,
          name,
          push_time: item.updatedAt,
          pull_time: (pulled?.lastPulledAt as string | undefined) ?? '0001-01-01T00:00:00.000Z',
          immutable: rules.some((rule) => ruleApplies(rule, repository, name)),
        };
      });
  }

  /** Manifests whose subject is this one (signatures, SBOMs), from the registry's referrer entries. */
  accessories(repository: string, digest: string, items: Item[], artifactId: number) {
    return items
      .filter((item) => item.sk.startsWith(keys.referrerPrefix(digest)))
      .map((item) => {
        const manifest = items.find((i) => i.sk === `manifest#${item.digest as string}`);
        return {
          id: numericId(`${repository}@${item.digest as string}`),
          artifact_id: numericId(`${repository}@${item.digest as string}`),
          subject_artifact_id: artifactId,
          subject_artifact_digest: digest,
          subject_artifact_repo: repository,
          size: item.size,
          digest: item.digest,
          type: accessoryType(item.artifactType as string | undefined),
          icon: '',
          creation_time: manifest?.createdAt,
        };
      });
  }
}
