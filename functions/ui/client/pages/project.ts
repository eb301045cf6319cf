import { ApiError, del, get, list, patch, post, put, seg } from '../api.js';
import {
  act,
  checked,
  command,
  confirmDialog,
  copyButton,
  emptyState,
  errorBox,
  field,
  formDialog,
  infoDialog,
  loadInto,
  pager,
  select,
  table,
  toast,
  valueOf,
} from '../components.js';
import { type Child, h, replace } from '../dom.js';
import { bytes, time } from '../format.js';
import { link, paths, route } from '../router.js';
import { registryHost, state } from '../state.js';
import { type Member, type Project, type ProjectSummary, type Repository, type Robot, roleName, roles } from '../types.js';
import { projectPolicies } from './project-policies.js';

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

function membersTab(container: HTMLElement, project: Project): void {
  const base = `/projects/${seg(project.name)}/members`;
  const results = h('div');
  const reload = () =>
    loadInto(results, async () => {
      const members = await get<Member[]>(base);
      if (members.length === 0) return emptyState('No members.');
      return table<Member>(
        [
          { title: 'Name', cell: (m) => m.entity_name },
          { title: 'Type', cell: (m) => (m.entity_type === 'g' ? 'LDAP group' : 'User') },
          {
            title: 'Role',
            cell: (m) => {
              const chooser = select('role', roles, String(m.role_id));
              chooser.setAttribute('aria-label', `Role of ${m.entity_name}`);
              chooser.addEventListener('change', () => void act(null, async () => void (await put(`${base}/${m.id}`, { role_id: Number(chooser.value) })), `${m.entity_name} is now ${roleName(Number(chooser.value))}.`));
              return chooser;
            },
          },
          {
            title: 'Actions',
            cell: (m) => {
              const remove: HTMLButtonElement = h('button', {
                type: 'button',
                class: 'danger',
                'aria-label': `Remove ${m.entity_name}`,
                onclick: async () => {
                  if (!(await confirmDialog(`Remove ${m.entity_name} from ${project.name}?`, 'Remove'))) return;
                  await act(remove, async () => {
                    await del(`${base}/${m.id}`);
                    await reload();
                  }, `${m.entity_name} removed.`);
                },
              }, 'Remove');
              return remove;
            },
          },
        ],
        members,
        'Members',
      );
    });
  const add = () =>
    formDialog(
      'Add member',
      [
        field('Member type', select('kind', [['u', 'User'], ['g', 'LDAP group']])),
        field('Username or group DN', h('input', { name: 'name', required: true, autocomplete: 'off' }), 'LDAP users appear after their first login.'),
        field('Role', select('role', roles, '2')),
      ],
      'Add',
      async (form) => {
        const name = valueOf(form, 'name');
        const roleId = Number(valueOf(form, 'role'));
        await post(base, valueOf(form, 'kind') === 'g' ? { role_id: roleId, member_group: { ldap_group_dn: name, group_type: 1 } } : { role_id: roleId, member_user: { username: name } });
        toast(`${name} added as ${roleName(roleId)}.`);
        await reload();
      },
    );
  replace(container, h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'primary', onclick: add }, 'Add member')), results);
  void reload();
}

const robotAccess: [string, string, string][] = [
  ['repository', 'push', 'Push'],
  ['repository', 'pull', 'Pull'],
  ['repository', 'delete', 'Delete repository'],
  ['artifact', 'read', 'Read artifact'],
  ['artifact', 'delete', 'Delete artifact'],
];

function showSecret(name: string, secret: string, title = 'Robot account created'): void {
  const value = h('code', { class: 'secret' }, secret);
  infoDialog(
    title,
    h('p', null, 'Copy the secret now: it is shown this once and cannot be read again (refresh it to get a new one).'),
    h('dl', { class: 'facts' }, h('dt', null, 'Name'), h('dd', null, h('code', null, name), copyButton(name)), h('dt', null, 'Secret'), h('dd', null, value, copyButton(secret))),
    h('p', null, 'Use them with any client, for example:'),
    command(`docker login ${registryHost()} -u '${name}'`),
  );
}

function robotsTab(container: HTMLElement, project: Project): void {
  const results = h('div');
  const reload = () =>
    loadInto(results, async () => {
      const robots = await get<Robot[]>(`/robots?q=${encodeURIComponent(`Level=project,ProjectID=${project.project_id}`)}`);
      if (robots.length === 0) return emptyState('No robot accounts.', h('p', null, 'Robot accounts push and pull from CI without a person’s password.'));
      return table<Robot>(
        [
          { title: 'Name', cell: (r) => r.name },
          { title: 'Permissions', cell: (r) => r.permissions.flatMap((p) => p.access.map((a) => `${a.resource}:${a.action}`)).join(', ') },
          { title: 'Status', cell: (r) => (r.disable ? h('span', { class: 'badge muted' }, 'Disabled') : h('span', { class: 'badge ok' }, 'Enabled')) },
          { title: 'Expires', cell: (r) => (r.expires_at === -1 ? 'Never' : time(new Date(r.expires_at * 1000).toISOString())) },
          {
            title: 'Actions',
            cell: (r) => {
              const toggle: HTMLButtonElement = h('button', {
                type: 'button',
                onclick: () =>
                  act(toggle, async () => {
                    await put(`/robots/${r.id}`, { name: r.name, description: r.description ?? '', duration: r.duration, level: r.level, disable: !r.disable, permissions: r.permissions });
                    await reload();
                  }, `${r.name} ${r.disable ? 'enabled' : 'disabled'}.`),
              }, r.disable ? 'Enable' : 'Disable');
              const remove: HTMLButtonElement = h('button', {
                type: 'button',
                class: 'danger',
                onclick: async () => {
                  if (!(await confirmDialog(`Delete the robot account ${r.name}? Clients using it stop working.`, 'Delete'))) return;
                  await act(remove, async () => {
                    await del(`/robots/${r.id}`);
                    await reload();
                  }, `${r.name} deleted.`);
                },
              }, 'Delete');
              const refresh: HTMLButtonElement = h('button', {
                type: 'button',
                'aria-label': `Refresh the secret of ${r.name}`,
                onclick: async () => {
                  if (!(await confirmDialog(`Give ${r.name} a new secret? The current one stops working at once.`, 'Refresh secret'))) return;
                  await act(refresh, async () => {
                    const { secret } = (await (await patch(`/robots/${r.id}`, {})).json()) as { secret: string };
                    showSecret(r.name, secret, 'New robot secret');
                  });
                },
              }, 'Refresh secret');
              toggle.setAttribute('aria-label', `${r.disable ? 'Enable' : 'Disable'} ${r.name}`);
              remove.setAttribute('aria-label', `Delete ${r.name}`);
              return h('div', { class: 'row-actions' }, toggle, refresh, remove);
            },
          },
        ],
        robots,
        'Robot accounts',
      );
    });
  const create = () =>
    formDialog(
      'New robot account',
      [
        field('Name', h('input', { name: 'name', required: true, pattern: '[a-z0-9]+(?:[._\\-][a-z0-9]+)*', autocomplete: 'off' }), `Its login will be robot$${project.name}+NAME.`),
        field('Description', h('input', { name: 'description', autocomplete: 'off' })),
        field('Expires after (days)', h('input', { name: 'duration', type: 'number', min: -1, value: 30, required: true }), '-1 means never.'),
        h('fieldset', null, h('legend', null, 'Permissions'), robotAccess.map(([resource, action, label]) => field(label, h('input', { type: 'checkbox', name: `${resource}:${action}`, checked: action === 'pull' || action === 'push' })))),
      ],
      'Create',
      async (form) => {
        const access = robotAccess.filter(([resource, action]) => checked(form, `${resource}:${action}`)).map(([resource, action]) => ({ resource, action }));
        if (access.length === 0) throw new Error('Choose at least one permission.');
        const response = await post('/robots', {
          name: valueOf(form, 'name'),
          description: valueOf(form, 'description'),
          duration: Number(valueOf(form, 'duration')),
          level: 'project',
          disable: false,
          permissions: [{ kind: 'project', namespace: project.name, access }],
        });
        const created = (await response.json()) as { name: string; secret: string };
        await reload();
        showSecret(created.name, created.secret);
      },
    );
  replace(container, h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'primary', onclick: create }, 'New robot account')), results);
  void reload();
}

interface WebhookPolicy {
  id: number;
  name: string;
  enabled: boolean;
  event_types?: string[];
  targets?: { type: string; address: string }[];
}

const webhookEvents = ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'QUOTA_EXCEED', 'REPLICATION', 'TAG_RETENTION'];

function webhooksTab(container: HTMLElement, project: Project): void {
  const base = `/projects/${seg(project.name)}/webhook/policies`;
  const results = h('div');
  const reload = () =>
    loadInto(results, async () => {
      const policies = await get<WebhookPolicy[]>(base);
      if (policies.length === 0) return emptyState('No webhooks.', h('p', null, 'Add one to have Berth call your endpoint on pushes, scans and more.'));
      return table<WebhookPolicy>(
        [
          { title: 'Name', cell: (w) => w.name },
          { title: 'Endpoint', cell: (w) => w.targets?.map((t) => t.address).join(', ') ?? '' },
          { title: 'Events', cell: (w) => (w.event_types ?? []).join(', ') },
          { title: 'Enabled', cell: (w) => (w.enabled ? 'Yes' : 'No') },
          {
            title: 'Actions',
            cell: (w) => {
              const remove: HTMLButtonElement = h('button', {
                type: 'button',
                class: 'danger',
                'aria-label': `Delete webhook ${w.name}`,
                onclick: async () => {
                  if (!(await confirmDialog(`Delete the webhook ${w.name}?`, 'Delete'))) return;
                  await act(remove, async () => {
                    await del(`${base}/${w.id}`);
                    await reload();
                  }, 'Webhook deleted.');
                },
              }, 'Delete');
              return remove;
            },
          },
        ],
        policies,
        'Webhooks',
      );
    });
  const create = () =>
    formDialog(
      'New webhook',
      [
        field('Name', h('input', { name: 'name', required: true })),
        field('Endpoint URL', h('input', { name: 'address', type: 'url', required: true, placeholder: 'https://example.com/hook' })),
        field('Auth header (optional)', h('input', { name: 'auth_header', autocomplete: 'off' })),
        h('fieldset', null, h('legend', null, 'Events'), webhookEvents.map((event) => field(event, h('input', { type: 'checkbox', name: event, checked: event === 'PUSH_ARTIFACT' })))),
      ],
      'Create',
      async (form) => {
        const authHeader = valueOf(form, 'auth_header');
        await post(base, {
          name: valueOf(form, 'name'),
          enabled: true,
          event_types: webhookEvents.filter((event) => checked(form, event)),
          targets: [{ type: 'http', address: valueOf(form, 'address'), skip_cert_verify: false, ...(authHeader ? { auth_header: authHeader } : {}) }],
        });
        await reload();
      },
    );
  replace(container, h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'primary', onclick: create }, 'New webhook')), results);
  void reload();
}

interface AuditLog {
  id: number;
  username: string;
  resource: string;
  resource_type?: string;
  operation: string;
  op_time: string;
}

function logsTab(container: HTMLElement, project: Project): void {
  const results = h('div');
  const load = (page: number) =>
    loadInto(results, async () => {
      const { items, total } = await list<AuditLog>(`/projects/${seg(project.name)}/logs`, page, pageSize);
      if (total === 0) return emptyState('Nothing has happened in this project yet.');
      return [
        table<AuditLog>(
          [
            { title: 'User', cell: (l) => l.username },
            { title: 'Resource', cell: (l) => l.resource },
            { title: 'Type', cell: (l) => l.resource_type ?? '' },
            { title: 'Operation', cell: (l) => l.operation },
            { title: 'Time', cell: (l) => time(l.op_time) },
          ],
          items,
          'Logs',
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });
  replace(container, results);
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
    h('div', { class: 'title-row' }, h('h1', null, project.name), project.metadata?.public === 'true' ? h('span', { class: 'badge' }, 'Public') : h('span', { class: 'badge muted' }, 'Private'), h('span', { class: 'muted' }, `Your role: ${roleName(project.current_user_role_id)}`)),
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

