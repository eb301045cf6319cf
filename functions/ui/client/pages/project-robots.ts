import { del, get, patch, post, put } from '../api.js';
import { act, checked, command, confirmDialog, copyButton, emptyState, field, formDialog, infoDialog, loadInto, table, valueOf } from '../components.js';
import { type Child, h, replace } from '../dom.js';
import { time } from '../format.js';
import { registryHost } from '../state.js';
import type { Project, Robot } from '../types.js';

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

/** Where a list of robots lives: one project's, or the system-level ones. */
export interface RobotScope {
  /** Harbor's robot query: `Level=project,ProjectID=3` or `Level=system`. */
  query: string;
  level: 'project' | 'system';
  /** What the login of a robot named NAME will be, for the form's hint. */
  loginHint: string;
  /** Extra form fields (a system robot's projects). */
  fields?: () => Child[];
  /** The permissions to create with, from the form and the chosen accesses. */
  permissions: (form: HTMLFormElement, access: { resource: string; action: string }[]) => Robot['permissions'];
}

/** A project's robot accounts: the secret is shown once, at creation or refresh. */
export function robotsTab(container: HTMLElement, project: Project): void {
  robotsPanel(container, {
    query: `Level=project,ProjectID=${project.project_id}`,
    level: 'project',
    loginHint: `robot$${project.name}+NAME`,
    permissions: (_form, access) => [{ kind: 'project', namespace: project.name, access }],
  });
}

/** Robot accounts of a scope: list, create, enable/disable, refresh the secret, delete. */
export function robotsPanel(container: HTMLElement, scope: RobotScope): void {
  const results = h('div');
  const reload = () =>
    loadInto(results, async () => {
      const robots = await get<Robot[]>(`/robots?q=${encodeURIComponent(scope.query)}`);
      if (robots.length === 0) return emptyState('No robot accounts.', h('p', null, 'Robot accounts push and pull from CI without a person’s password.'));
      return table<Robot>(
        [
          { title: 'Name', cell: (r) => r.name },
          {
            title: 'Permissions',
            cell: (r) =>
              r.permissions
                .map((p) => `${scope.level === 'system' ? `${p.namespace === '*' ? 'all projects' : p.namespace}: ` : ''}${p.access.map((a) => `${a.resource}:${a.action}`).join(', ')}`)
                .join('; '),
          },
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
        field('Name', h('input', { name: 'name', required: true, pattern: '[a-z0-9]+(?:[._\\-][a-z0-9]+)*', autocomplete: 'off' }), `Its login will be ${scope.loginHint}.`),
        scope.fields?.() ?? null,
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
          level: scope.level,
          disable: false,
          permissions: scope.permissions(form, access),
        });
        const created = (await response.json()) as { name: string; secret: string };
        await reload();
        showSecret(created.name, created.secret);
      },
    );
  replace(container, h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'primary', onclick: create }, 'New robot account')), results);
  void reload();
}
