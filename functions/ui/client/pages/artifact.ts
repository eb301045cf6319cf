import { ApiError, get, post, seg } from '../api.js';
import { act, command, copyButton, emptyState, loadInto, table } from '../components.js';
import { type Child, h, replace } from '../dom.js';
import { bytes, severityRank, shortDigest, time } from '../format.js';
import { link, paths, route } from '../router.js';
import { registryHost } from '../state.js';
import type { Accessory, Artifact } from '../types.js';
import { isSigned, platforms, scanBadges, scanOf } from '../artifact-bits.js';
import { artifactQuery, artifactsPath } from './repository.js';

interface Vulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: string;
  description?: string;
  links?: string[];
}

interface HistoryEntry {
  created?: string;
  created_by?: string;
  empty_layer?: boolean;
  comment?: string;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
}

const manifestTypes = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/**
 * The manifest through the distribution API, which the portal may read whenever pulling is
 * allowed without a password (public projects, open registries): an anonymous token is asked of
 * the realm the registry's challenge names, as any client would.
 */
async function readManifest(repository: string, digest: string): Promise<{ layers?: Descriptor[]; config?: Descriptor } | null> {
  const url = `/v2/${repository}/manifests/${digest}`;
  let response = await fetch(url, { headers: { accept: manifestTypes } });
  if (response.status === 401) {
    const challenge = response.headers.get('www-authenticate') ?? '';
    const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
    const service = /service="([^"]+)"/.exec(challenge)?.[1];
    if (!realm) return null;
    const tokenUrl = new URL(realm, location.href);
    if (tokenUrl.origin !== location.origin) return null;
    if (service) tokenUrl.searchParams.set('service', service);
    tokenUrl.searchParams.set('scope', `repository:${repository}:pull`);
    const token = (await (await fetch(tokenUrl)).json().catch(() => ({}))) as { token?: string };
    if (!token.token) return null;
    response = await fetch(url, { headers: { accept: manifestTypes, authorization: `Bearer ${token.token}` } });
  }
  if (!response.ok) return null;
  return (await response.json()) as { layers?: Descriptor[]; config?: Descriptor };
}

function section(title: string, body: Child): HTMLElement {
  return h('section', { class: 'card' }, h('h2', null, title), body);
}

function vulnerabilityTable(vulnerabilities: Vulnerability[]): HTMLElement {
  const ordered = [...vulnerabilities].sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  return table<Vulnerability>(
    [
      { title: 'ID', cell: (v) => (v.links?.[0] ? h('a', { href: v.links[0], rel: 'noreferrer noopener', target: '_blank' }, v.id) : v.id), sort: (a, b) => a.id.localeCompare(b.id) },
      { title: 'Severity', cell: (v) => h('span', { class: `badge sev-${v.severity.toLowerCase()}` }, v.severity), sort: (a, b) => severityRank(a.severity) - severityRank(b.severity) },
      { title: 'Package', cell: (v) => v.package, sort: (a, b) => a.package.localeCompare(b.package) },
      { title: 'Version', cell: (v) => v.version },
      { title: 'Fixed in', cell: (v) => v.fix_version || h('span', { class: 'muted' }, 'no fix yet'), sort: (a, b) => Number(!a.fix_version) - Number(!b.fix_version) },
      { title: 'Description', cell: (v) => h('span', { class: 'desc' }, v.description ?? '') },
    ],
    ordered,
    'Vulnerabilities',
  );
}

route('/harbor/projects/:project/repositories/:repo*/artifacts/:digest', async (view, params) => {
  const project = params.project ?? '';
  const repository = params.repo ?? '';
  const digest = params.digest ?? '';
  const full = `${project}/${repository}`;
  const base = `${artifactsPath(project, repository)}/${seg(digest)}`;
  const query = new URLSearchParams(artifactQuery);
  const artifact = await get<Artifact>(`${base}?${query}`);
  const tags = artifact.tags ?? [];
  const host = registryHost();

  const pulls = h(
    'div',
    null,
    command(`docker pull ${host}/${full}@${artifact.digest}`),
    command(`podman pull ${host}/${full}@${artifact.digest}`),
    tags.map((t) => command(`docker pull ${host}/${full}:${t.name}`)),
  );

  const layers = h('div');
  const history = h('div');
  const vulnerabilities = h('div');
  const sbom = h('div');
  const signatures = h('div');
  const scanButton: HTMLButtonElement = h('button', { type: 'button', onclick: () => act(scanButton, async () => void (await post(`${base}/scan`)), 'Scan requested; reload to see the result.') }, 'Scan now');

  replace(
    view,
    h('p', { class: 'crumbs' }, link(paths.projects(), 'Projects'), ' / ', link(paths.project(project), project), ' / ', link(paths.repository(project, repository), repository), ' / '),
    h('h1', null, tags[0] ? `${repository}:${tags[0].name}` : shortDigest(artifact.digest)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Digest'), h('dd', null, h('code', null, artifact.digest), copyButton(artifact.digest, 'Copy digest')),
      h('dt', null, 'Tags'), h('dd', null, tags.length ? tags.map((t) => t.name).join(', ') : 'untagged'),
      h('dt', null, 'Media type'), h('dd', null, artifact.manifest_media_type ?? artifact.media_type ?? '—'),
      h('dt', null, 'Platform'), h('dd', null, platforms(artifact)),
      h('dt', null, 'Size'), h('dd', null, bytes(artifact.size)),
      h('dt', null, 'Pushed'), h('dd', null, time(artifact.push_time)),
      h('dt', null, 'Pulled'), h('dd', null, time(artifact.pull_time)),
      h('dt', null, 'Vulnerabilities'), h('dd', null, scanBadges(artifact)),
      h('dt', null, 'Signature'), h('dd', null, isSigned(artifact) ? 'Signed' : 'Unsigned'),
    ),
    section('Pull commands', pulls),
    section('Layers', layers),
    section('Build history', history),
    h('section', { class: 'card' }, h('div', { class: 'title-row' }, h('h2', null, 'Vulnerabilities'), scanButton), vulnerabilities),
    section('SBOM', sbom),
    section('Signatures', signatures),
  );

  void loadInto(layers, async () => {
    const manifest = await readManifest(full, artifact.digest).catch(() => null);
    if (!manifest) return h('p', { class: 'muted' }, 'Layers are listed when the manifest can be pulled anonymously (public projects); the build history below comes from the image config.');
    const list = manifest.layers ?? [];
    if (list.length === 0) return emptyState('This artifact has no layers (an index or a non-image artifact).');
    return table<Descriptor & { index: number }>(
      [
        { title: '#', cell: (l) => l.index + 1, class: 'num' },
        { title: 'Digest', cell: (l) => h('span', { class: 'digest' }, h('code', null, shortDigest(l.digest)), copyButton(l.digest, 'Copy digest')) },
        { title: 'Media type', cell: (l) => l.mediaType ?? '' },
        { title: 'Size', cell: (l) => bytes(l.size), class: 'num' },
      ],
      list.map((l, index) => ({ ...l, index })),
      'Layers',
    );
  });

  void loadInto(history, async () => {
    const entries = await get<HistoryEntry[]>(`${base}/additions/build_history`);
    if (entries.length === 0) return emptyState('The image config records no history.');
    return table<HistoryEntry>(
      [
        { title: 'Created', cell: (e) => time(e.created) },
        { title: 'Command', cell: (e) => h('code', { class: 'wrap' }, e.created_by ?? e.comment ?? '') },
        { title: 'Layer', cell: (e) => (e.empty_layer ? 'no' : 'yes') },
      ],
      entries,
      'Build history',
    );
  });

  void loadInto(vulnerabilities, async () => {
    const reports = await get<Record<string, { vulnerabilities?: Vulnerability[] | null; severity?: string }>>(`${base}/additions/vulnerabilities`);
    const found = Object.values(reports).flatMap((r) => r.vulnerabilities ?? []);
    if (!scanOf(artifact) && found.length === 0) return emptyState('Not scanned yet.', h('p', null, 'Use “Scan now” to scan it.'));
    if (found.length === 0) return emptyState('No known vulnerabilities.');
    return [h('p', null, `${found.length} vulnerabilities, ${found.filter((v) => v.fix_version).length} with a fix.`), vulnerabilityTable(found)];
  });

  const accessories = artifact.accessories ?? [];
  void loadInto(sbom, async () => {
    const url = `${base}/additions/sbom`;
    let document: { spdxVersion?: string; packages?: { name?: string; versionInfo?: string; supplier?: string }[] } | null = null;
    try {
      document = await get(url);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404 && !error.notAvailable)) throw error;
    }
    const sboms = accessories.filter((a) => /sbom/i.test(a.type)).map((a) => a.digest);
    const attached = artifact.sbom_overview?.sbom_digest ? [artifact.sbom_overview.sbom_digest, ...sboms] : sboms;
    const links = [...new Set(attached)].map((d) => h('li', null, 'Attached SBOM: ', link(paths.artifact(project, repository, d), h('code', null, shortDigest(d))), copyButton(d, 'Copy digest')));
    if (!document && links.length === 0) return emptyState('No SBOM for this artifact.', h('p', null, 'Scan it to produce one.'));
    const packages = document?.packages ?? [];
    return [
      links.length ? h('ul', null, links) : null,
      document
        ? [
            h('p', null, `${document.spdxVersion ?? 'SPDX'} document, ${packages.length} packages. `, h('a', { href: `/api/v2.0${url}`, download: 'sbom.spdx.json' }, 'Download')),
            packages.length
              ? table<{ name?: string; versionInfo?: string }>(
                  [
                    { title: 'Package', cell: (p) => p.name ?? '', sort: (a, b) => (a.name ?? '').localeCompare(b.name ?? '') },
                    { title: 'Version', cell: (p) => p.versionInfo ?? '' },
                  ],
                  packages.slice(0, 200),
                  'SBOM packages',
                )
              : null,
            packages.length > 200 ? h('p', { class: 'muted' }, `The first 200 of ${packages.length}; download the document for all.`) : null,
          ]
        : null,
    ];
  });

  void loadInto(signatures, async () => {
    const found = accessories.filter((a) => a.type.startsWith('signature.'));
    if (found.length === 0) return emptyState('No signatures found.', h('p', null, 'Sign with cosign or notation; signatures appear here once pushed.'));
    return table<Accessory>(
      [
        { title: 'Kind', cell: (a) => a.type.replace('signature.', '') },
        { title: 'Digest', cell: (a) => h('span', { class: 'digest' }, h('code', null, shortDigest(a.digest)), copyButton(a.digest, 'Copy digest')) },
        { title: 'Size', cell: (a) => bytes(a.size), class: 'num' },
        { title: 'Created', cell: (a) => time(a.creation_time) },
      ],
      found,
      'Signatures',
    );
  });
});
