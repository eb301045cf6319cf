import { send } from '../api.js';
import { act, command, confirmDialog, copyButton, emptyState, loadInto, table } from '../components.js';
import { h, replace } from '../dom.js';
import { bytes, shortDigest } from '../format.js';
import { link, paths, route } from '../router.js';
import { registryHost } from '../state.js';

/**
 * An open registry (no identity) has no management API, but its distribution API (/v2) is open
 * to anyone: these pages browse repositories and tags through it, and delete tags as any client
 * could.
 */
const pageSize = 20;

const manifestTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Manifest {
  mediaType?: string;
  config?: { size?: number };
  layers?: { size?: number }[];
  manifests?: { platform?: { os?: string; architecture?: string; variant?: string } }[];
}

function nextCursor(response: Response): string | null {
  const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
  return next ? new URL(next, location.href).searchParams.get('last') : null;
}

export function openCatalog(view: HTMLElement): void {
  const results = h('div');
  const cursors: string[] = [''];
  const load = (index: number): Promise<void> =>
    loadInto(results, async () => {
      const last = cursors[index] ?? '';
      const response = await send('GET', `/v2/_catalog?n=${pageSize}${last ? `&last=${encodeURIComponent(last)}` : ''}`);
      const { repositories } = (await response.json()) as { repositories: string[] };
      const next = nextCursor(response);
      if (next) cursors[index + 1] = next;
      if (repositories.length === 0 && index === 0) {
        return emptyState(
          'No repositories yet.',
          h('p', null, 'Push an image to create one:'),
          command(`docker push ${registryHost()}/REPOSITORY[:TAG]`),
          command(`skopeo copy --dest-tls-verify=false docker-archive:image.tar docker://${registryHost()}/REPOSITORY:TAG`),
        );
      }
      return [
        table<string>([{ title: 'Repository', cell: (name) => link(`/harbor/repositories/${name.split('/').map(encodeURIComponent).join('/')}`, name) }], repositories, 'Repositories'),
        h(
          'nav',
          { class: 'pager', 'aria-label': 'Pages' },
          h('button', { type: 'button', disabled: index === 0, onclick: () => void load(index - 1) }, '‹ Previous'),
          h('span', null, `Page ${index + 1}`),
          h('button', { type: 'button', disabled: !next, onclick: () => void load(index + 1) }, 'Next ›'),
        ),
      ];
    });
  replace(view, h('h1', null, 'Repositories'), results);
  void load(0);
}

interface TagRow {
  tag: string;
  digest: string;
  size: number | null;
  platforms: string;
}

async function describeTag(repository: string, tag: string): Promise<TagRow> {
  const response = await send('GET', `/v2/${repository}/manifests/${encodeURIComponent(tag)}`, { headers: { accept: manifestTypes } });
  const digest = response.headers.get('docker-content-digest') ?? '';
  const manifest = (await response.json()) as Manifest;
  if (manifest.manifests) {
    const platforms = manifest.manifests.map((m) => [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/')).join(', ');
    return { tag, digest, size: null, platforms: platforms || 'index' };
  }
  const size = (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((sum, layer) => sum + (layer.size ?? 0), 0);
  return { tag, digest, size, platforms: '—' };
}

route('/harbor/repositories/:repo*', (view, params) => {
  const repository = params.repo ?? '';
  const results = h('div');
  const load = (): Promise<void> =>
    loadInto(results, async () => {
      const { tags } = (await (await send('GET', `/v2/${repository}/tags/list?n=100`)).json()) as { tags: string[] | null };
      if (!tags || tags.length === 0) return emptyState('No tags in this repository.');
      const rows = await Promise.all(tags.map((tag) => describeTag(repository, tag)));
      return table<TagRow>(
        [
          { title: 'Tag', cell: (r) => r.tag },
          { title: 'Digest', cell: (r) => h('span', { class: 'digest' }, h('code', null, shortDigest(r.digest)), copyButton(r.digest, 'Copy digest')) },
          { title: 'Size', cell: (r) => (r.size === null ? 'index' : bytes(r.size)), class: 'num' },
          { title: 'Platforms', cell: (r) => r.platforms },
          { title: 'Pull', cell: (r) => copyButton(`docker pull ${registryHost()}/${repository}:${r.tag}`, 'Copy pull command') },
          {
            title: 'Actions',
            cell: (r) => {
              const remove: HTMLButtonElement = h('button', {
                type: 'button',
                class: 'danger',
                'aria-label': `Delete tag ${r.tag}`,
                onclick: async () => {
                  if (!(await confirmDialog(`Delete the tag ${r.tag}? The image stays, reachable by its digest.`, 'Delete tag'))) return;
                  await act(remove, async () => {
                    await send('DELETE', `/v2/${repository}/manifests/${encodeURIComponent(r.tag)}`);
                    await load();
                  }, `Tag ${r.tag} deleted.`);
                },
              }, 'Delete');
              return remove;
            },
          },
        ],
        rows,
        'Tags',
      );
    });
  replace(view, h('p', { class: 'crumbs' }, link(paths.projects(), 'Repositories'), ' / '), h('h1', null, repository), results);
  void load();
});
