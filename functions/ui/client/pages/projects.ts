import { get, list, post } from '../api.js';
import { checked, emptyState, field, formDialog, loadInto, pager, table, toast, valueOf } from '../components.js';
import { h, replace } from '../dom.js';
import { bytes, time } from '../format.js';
import { link, navigate, paths, route } from '../router.js';
import { state } from '../state.js';
import { type Project, roleName } from '../types.js';
import { openCatalog } from './open-registry.js';

const pageSize = 15;

function newProjectDialog(): void {
  const name = h('input', { name: 'project_name', required: true, maxlength: 255, pattern: '[a-z0-9]+(?:[._\\-][a-z0-9]+)*', autocomplete: 'off' });
  const isPublic = h('input', { name: 'public', type: 'checkbox' });
  const limit = h('input', { name: 'storage_limit', type: 'number', min: -1, step: 1, value: -1 });
  formDialog(
    'New project',
    [
      field('Project name', name, 'Lower-case letters, digits and . _ - (as in registry paths).'),
      field('Public (anyone can pull, without logging in)', isPublic),
      field('Storage quota in GiB', limit, '-1 means no limit.'),
    ],
    'Create',
    async (form) => {
      const gib = Number(valueOf(form, 'storage_limit') || -1);
      const projectName = valueOf(form, 'project_name');
      await post('/projects', {
        project_name: projectName,
        metadata: { public: String(checked(form, 'public')) },
        storage_limit: gib < 0 ? -1 : Math.round(gib * 1024 ** 3),
      });
      toast(`Project ${projectName} created.`);
      navigate(paths.project(projectName));
    },
  );
}

interface Quota {
  hard?: { storage?: number };
  used?: { storage?: number };
}

/** Quota usage of the listed projects (Harbor's `/quotas`), filled in as it arrives; a dash where the API has none. */
async function fillQuotas(cells: Map<number, HTMLElement>): Promise<void> {
  await Promise.all(
    [...cells].map(async ([id, cell]) => {
      let quota: Quota | undefined;
      try {
        [quota] = await get<Quota[]>(`/quotas?reference=project&reference_id=${id}`);
      } catch {
        quota = undefined;
      }
      const used = quota?.used?.storage;
      if (used === undefined) {
        replace(cell, '—');
        return;
      }
      const hard = quota?.hard?.storage ?? -1;
      replace(cell, `${bytes(used)} of ${hard < 0 ? 'unlimited' : bytes(hard)}`, hard > 0 ? h('meter', { min: 0, max: hard, value: used, high: hard * 0.8, 'aria-label': 'Share of the quota used' }) : null);
    }),
  );
}

route('/harbor/projects', (view) => {
  const results = h('div');
  const search = h('input', { type: 'search', name: 'name', placeholder: 'Filter by name', autocomplete: 'off' });
  let timer: ReturnType<typeof setTimeout> | undefined;

  const load = (page: number) =>
    loadInto(results, async () => {
      const query: Record<string, string> = {};
      if (search.value.trim()) query.name = search.value.trim();
      const { items, total } = await list<Project>('/projects', page, pageSize, query);
      if (total === 0) {
        if (query.name) return emptyState(`No project matches “${query.name}”.`);
        return emptyState(
          'No projects yet.',
          state.user
            ? h('p', null, 'Create a project to push images into: images live at ', h('code', null, `${location.host}/<project>/<repository>:<tag>`), '.')
            : h('p', null, 'Log in to create one, or to see the private projects you belong to.'),
        );
      }
      const usage = new Map(items.map((p) => [p.project_id, h('span', { class: 'muted' }, '…')]));
      void fillQuotas(usage);
      return [
        table<Project>(
          [
            { title: 'Name', cell: (p) => link(paths.project(p.name), p.name) },
            { title: 'Access', cell: (p) => (p.metadata?.public === 'true' ? h('span', { class: 'badge' }, 'Public') : h('span', { class: 'badge muted' }, 'Private')) },
            { title: 'Your role', cell: (p) => roleName(p.current_user_role_id) },
            { title: 'Repositories', cell: (p) => (p.repo_count ?? '—'), class: 'num' },
            { title: 'Storage used', cell: (p) => usage.get(p.project_id) },
            { title: 'Created', cell: (p) => time(p.creation_time) },
          ],
          items,
          'Projects',
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });

  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(1), 250);
  });

  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('div', { class: 'field inline' }, h('label', { for: 'project-filter', class: 'visually-hidden' }, 'Filter projects by name'), Object.assign(search, { id: 'project-filter' })),
    state.user ? h('button', { type: 'button', class: 'primary', onclick: newProjectDialog }, 'New project') : null,
  );
  if (state.auth === 'off') {
    // No identity, so no projects: browse the repositories the distribution API lists.
    openCatalog(view);
    return;
  }
  replace(view, h('h1', null, 'Projects'), toolbar, results);
  void load(1);
});
