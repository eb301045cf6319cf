import { del, get, list, post, repoSeg, seg } from '../api.js';
import { act, command, confirmDialog, copyButton, emptyState, loadInto, pager, table } from '../components.js';
import { h, replace } from '../dom.js';
import { bytes, shortDigest, time } from '../format.js';
import { link, navigate, paths, route } from '../router.js';
import { registryHost } from '../state.js';
import type { Artifact, Repository } from '../types.js';
import { isSigned, platforms, scanBadges } from '../artifact-bits.js';
import { pushCommands } from './project.js';

const pageSize = 15;

export function artifactsPath(project: string, repository: string): string {
  return `/projects/${seg(project)}/repositories/${repoSeg(repository)}/artifacts`;
}

export const artifactQuery = { with_tag: 'true', with_scan_overview: 'true', with_signature: 'true', with_accessory: 'true', with_sbom_overview: 'true' };

route('/harbor/projects/:project/repositories/:repo*', (view, params) => {
  const project = params.project ?? '';
  const repository = params.repo ?? '';
  const full = `${project}/${repository}`;
  const base = artifactsPath(project, repository);
  const results = h('div');
  const info = h('div');

  const load = (page: number) =>
    loadInto(results, async () => {
      const { items, total } = await list<Artifact>(base, page, pageSize, artifactQuery);
      if (total === 0) return emptyState('No artifacts in this repository.', pushCommands(project));
      return [
        table<Artifact>(
          [
            {
              title: 'Digest',
              cell: (a) => h('span', { class: 'digest' }, link(paths.artifact(project, repository, a.digest), h('code', null, shortDigest(a.digest))), copyButton(a.digest, 'Copy digest')),
            },
            {
              title: 'Tags',
              cell: (a) =>
                (a.tags ?? []).length === 0
                  ? h('span', { class: 'muted' }, 'untagged')
                  : h('ul', { class: 'tags' }, (a.tags ?? []).map((t) => {
                      const remove: HTMLButtonElement = h('button', {
                        type: 'button',
                        class: 'chip-x',
                        'aria-label': `Delete tag ${t.name}`,
                        title: `Delete tag ${t.name}`,
                        onclick: async () => {
                          if (!(await confirmDialog(`Delete the tag ${t.name}? The artifact stays, reachable by its digest.`, 'Delete tag'))) return;
                          await act(remove, async () => {
                            await del(`${base}/${seg(a.digest)}/tags/${seg(t.name)}`);
                            await load(page);
                          }, `Tag ${t.name} deleted.`);
                        },
                      }, '×');
                      return h('li', { class: 'chip' }, h('span', null, t.name), t.immutable ? h('span', { class: 'muted', title: 'immutable' }, ' 🔒') : null, remove);
                    })),
            },
            { title: 'Platform', cell: (a) => platforms(a) },
            { title: 'Size', cell: (a) => bytes(a.size), class: 'num' },
            { title: 'Vulnerabilities', cell: (a) => scanBadges(a) },
            { title: 'Signed', cell: (a) => (isSigned(a) ? h('span', { class: 'badge ok' }, 'Signed') : h('span', { class: 'muted' }, 'Unsigned')) },
            { title: 'Pushed', cell: (a) => time(a.push_time) },
            { title: 'Pulled', cell: (a) => time(a.pull_time) },
            {
              title: 'Actions',
              cell: (a) => {
                const scan: HTMLButtonElement = h('button', { type: 'button', 'aria-label': `Scan ${shortDigest(a.digest)}`, onclick: () => act(scan, async () => {
                  await post(`${base}/${seg(a.digest)}/scan`);
                  await load(page);
                }, 'Scan requested.') }, 'Scan');
                const remove: HTMLButtonElement = h('button', {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `Delete artifact ${shortDigest(a.digest)}`,
                  onclick: async () => {
                    if (!(await confirmDialog(`Delete the artifact ${shortDigest(a.digest)} and all its tags?`, 'Delete artifact'))) return;
                    await act(remove, async () => {
                      await del(`${base}/${seg(a.digest)}`);
                      await load(page);
                    }, 'Artifact deleted.');
                  },
                }, 'Delete');
                return h('div', { class: 'row-actions' }, scan, remove);
              },
            },
          ],
          items,
          'Artifacts',
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });

  const deleteRepository: HTMLButtonElement = h('button', {
    type: 'button',
    class: 'danger',
    onclick: async () => {
      if (!(await confirmDialog(`Delete the repository ${full} with every artifact in it?`, 'Delete repository'))) return;
      await act(deleteRepository, async () => {
        await del(`/projects/${seg(project)}/repositories/${repoSeg(repository)}`);
        navigate(paths.project(project));
      }, `Repository ${full} deleted.`);
    },
  }, 'Delete repository');

  replace(
    view,
    h('p', { class: 'crumbs' }, link(paths.projects(), 'Projects'), ' / ', link(paths.project(project), project), ' / '),
    h('div', { class: 'title-row' }, h('h1', null, repository), deleteRepository),
    info,
    h('h2', null, 'Pull'),
    command(`docker pull ${registryHost()}/${full}:TAG`),
    h('h2', null, 'Artifacts'),
    results,
  );
  void get<Repository>(`/projects/${seg(project)}/repositories/${repoSeg(repository)}`)
    .then((repo) => replace(info, h('p', { class: 'muted' }, `${repo.artifact_count ?? 0} artifacts · ${repo.pull_count ?? 0} pulls · updated ${time(repo.update_time)}`)))
    .catch(() => undefined);
  void load(1);
});
