import { ApiError, get, list } from '../api.js';
import { emptyState, loadInto, table } from '../components.js';
import { h, replace } from '../dom.js';
import { link, paths, route } from '../router.js';
import type { Project } from '../types.js';

interface SearchRepository {
  project_name: string;
  repository_name: string;
  artifact_count?: number;
  pull_count?: number;
}

/** Harbor's global search (`GET /search?q=`): projects and repositories whose name holds the text. */
route('/harbor/search', (view, _params, query) => {
  const q = (query.get('q') ?? '').trim();
  const results = h('div');
  replace(view, h('h1', null, q ? `Search: ${q}` : 'Search'), results);
  if (!q) {
    replace(results, emptyState('Type a project or repository name in the search box.'));
    return;
  }
  void loadInto(results, async () => {
    let found: { project?: Project[]; repository?: SearchRepository[] };
    try {
      found = await get(`/search?q=${encodeURIComponent(q)}`);
    } catch (error) {
      // Without the search endpoint, projects can still be searched by name.
      if (!(error instanceof ApiError && error.notAvailable)) throw error;
      found = { project: (await list<Project>('/projects', 1, 100, { name: q })).items };
    }
    const projects = found.project ?? [];
    const repositories = found.repository ?? [];
    if (projects.length === 0 && repositories.length === 0) return emptyState(`Nothing matches “${q}”.`);
    return [
      h('h2', null, `Projects (${projects.length})`),
      projects.length ? table<Project>([{ title: 'Name', cell: (p) => link(paths.project(p.name), p.name) }], projects, 'Projects found') : h('p', { class: 'muted' }, 'None.'),
      found.repository === undefined ? null : h('h2', null, `Repositories (${repositories.length})`),
      repositories.length
        ? table<SearchRepository>(
            [
              {
                title: 'Name',
                cell: (r) => {
                  const prefix = `${r.project_name}/`;
                  const name = r.repository_name.startsWith(prefix) ? r.repository_name.slice(prefix.length) : r.repository_name;
                  return link(paths.repository(r.project_name, name), r.repository_name);
                },
              },
              { title: 'Artifacts', cell: (r) => r.artifact_count ?? '—', class: 'num' },
              { title: 'Pulls', cell: (r) => r.pull_count ?? '—', class: 'num' },
            ],
            repositories,
            'Repositories found',
          )
        : null,
    ];
  });
});
