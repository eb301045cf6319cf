import { ApiError, del, get, list, seg } from '../api.js';
import { act, command, confirmDialog, emptyState, errorBox, loadInto, pager, table } from '../components.js';
import { type Child, h, replace } from '../dom.js';
import { bytes, time } from '../format.js';
import { link, navigate, paths, route } from '../router.js';
import { registryHost, state } from '../state.js';
import { type Project, type ProjectSummary, type Repository, roleName } from '../types.js';
import { logsTab } from './project-logs.js';
import { membersTab } from './project-members.js';
import { projectPolicies } from './project-policies.js';
import { robotsTab } from './project-robots.js';
import { webhooksTab } from './project-webhooks.js';

const pageSize = 15;
const tabs: [string, string][] = [
  ['repositories', 'Repositories'],
  ['members', 'Members'],
  ['robots', 'Robot accounts'],
  ['policy', 'Policies'],
  ['webhooks', 'Webhooks'],
  ['logs', 'Logs'],
];

/** The commands that put a first image into a project: the empty state of a new project. */
export function pushCommands(project: string): HTMLElement {
  const host = registryHost();
  return h(
    'div',
    { class: 'push-help' },
    h('p', null, 'Push an image to this project:'),
    command(`docker login ${host}`),
    command(`docker tag SOURCE_IMAGE[:TAG] ${host}/${project}/REPOSITORY[:TAG]`),
    command(`docker push ${host}/${project}/REPOSITORY[:TAG]`),
    h('p', null, 'or with podman or skopeo:'),
    command(`podman push IMAGE ${host}/${project}/REPOSITORY[:TAG]`),
    command(`skopeo copy docker-archive:image.tar docker://${host}/${project}/REPOSITORY:TAG`),
  );
}

function repositoriesTab(container: HTMLElement, project: Project): void {
  const results = h('div');
  const search = h('input', { type: 'search', id: 'repo-filter', placeholder: 'Filter by name', autocomplete: 'off' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = (page: number) =>
    loadInto(results, async () => {
      const query: Record<string, string> = {};
      if (search.value.trim()) query.q = `name=~${search.value.trim()}`;
      let found;
      try {
        found = await list<Repository>(`/projects/${seg(project.name)}/repositories`, page, pageSize, query);
      } catch (error) {
        if (error instanceof ApiError && error.notAvailable) return [errorBox(error), pushCommands(project.name)];
        throw error;
      }
      if (found.total === 0) return query.q ? emptyState('No repository matches.') : emptyState('No repositories yet.', pushCommands(project.name));
      const prefix = `${project.name}/`;
      return [
        table<Repository>(
          [
            { title: 'Name', cell: (r) => link(paths.repository(project.name, r.name.startsWith(prefix) ? r.name.slice(prefix.length) : r.name), r.name) },
            { title: 'Artifacts', cell: (r) => r.artifact_count ?? '—', class: 'num' },
            { title: 'Pulls', cell: (r) => r.pull_count ?? '—', class: 'num' },
            { title: 'Last modified', cell: (r) => time(r.update_time) },
          ],
          found.items,
          'Repositories',
        ),
        pager(found.total, page, pageSize, (next) => void load(next)),
      ];
    });
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(1), 250);
  });
  replace(container, h('div', { class: 'toolbar' }, h('label', { for: 'repo-filter', class: 'visually-hidden' }, 'Filter repositories'), search), results);
  void load(1);
}

function quota(summary: ProjectSummary | null): Child {
  const used = summary?.quota?.used?.storage;
  if (used === undefined) return null;
  const hard = summary?.quota?.hard?.storage ?? -1;
  return h(
    'div',
    { class: 'quota' },
    h('span', null, `Storage: ${bytes(used)} of ${hard < 0 ? 'unlimited' : bytes(hard)}`),
    hard > 0 ? h('meter', { min: 0, max: hard, value: used, high: hard * 0.8, 'aria-label': 'Storage quota used' }) : null,
  );
}

function deleteProjectButton(project: Project): HTMLButtonElement {
  const button: HTMLButtonElement = h('button', {
    type: 'button',
    class: 'danger',
    onclick: async () => {
      if (!(await confirmDialog(`Delete the project ${project.name}, its members and robot accounts?`, 'Delete project'))) return;
      await act(button, async () => {
        await del(`/projects/${seg(project.name)}`);
        navigate(paths.projects());
      }, `Project ${project.name} deleted.`);
    },
  }, 'Delete project');
  return button;
}

route('/harbor/projects/:project/:tab', projectPage);
route('/harbor/projects/:project', projectPage);

async function projectPage(view: HTMLElement, params: Record<string, string>): Promise<void> {
  const name = params.project ?? '';
  const tab = tabs.some(([id]) => id === params.tab) ? params.tab! : 'repositories';
  let project: Project;
  try {
    project = await get<Project>(`/projects/${seg(name)}`);
  } catch (error) {
    replace(view, h('h1', null, name), errorBox(error), state.user ? null : h('p', null, link(paths.login(location.pathname), 'Log in'), ' to see private projects.'));
    return;
  }
  const summary = await get<ProjectSummary>(`/projects/${seg(name)}/summary`).catch(() => null);
  const panel = h('section', { class: 'panel', id: 'tab-panel', 'aria-label': tabs.find(([id]) => id === tab)?.[1] ?? '' });
  replace(
    view,
    h('p', { class: 'crumbs' }, link(paths.projects(), 'Projects'), ' / '),
    h(
      'div',
      { class: 'title-row' },
      h('h1', null, project.name),
      project.metadata?.public === 'true' ? h('span', { class: 'badge' }, 'Public') : h('span', { class: 'badge muted' }, 'Private'),
      h('span', { class: 'muted' }, `Your role: ${roleName(project.current_user_role_id)}`),
      deleteProjectButton(project),
    ),
    quota(summary),
    h('nav', { class: 'tabs', 'aria-label': 'Project sections' }, tabs.map(([id, label]) => {
      const anchor = link(paths.project(project.name, id), label);
      if (id === tab) anchor.setAttribute('aria-current', 'page');
      return anchor;
    })),
    panel,
  );
  const draw: Record<string, (container: HTMLElement, project: Project) => void> = {
    repositories: repositoriesTab,
    members: membersTab,
    robots: robotsTab,
    policy: projectPolicies,
    webhooks: webhooksTab,
    logs: logsTab,
  };
  draw[tab]!(panel, project);
}

