import { del, get, list, patch, post, put } from '../api.js';
import { act, checked, confirmDialog, emptyState, errorBox, field, formDialog, loadInto, pager, select, table, toast, valueOf } from '../components.js';
import { type Child, h, replace } from '../dom.js';
import { time } from '../format.js';
import { link, paths, route } from '../router.js';
import { state } from '../state.js';
import type { User } from '../types.js';

const pageSize = 15;

function deleteButton(label: string, question: string, remove: () => Promise<void>, done: string): HTMLButtonElement {
  const button: HTMLButtonElement = h('button', {
    type: 'button',
    class: 'danger',
    'aria-label': label,
    onclick: async () => {
      if (!(await confirmDialog(question, 'Delete'))) return;
      await act(button, remove, done);
    },
  }, 'Delete');
  return button;
}

function toolbar(...children: Child[]): HTMLElement {
  return h('div', { class: 'toolbar' }, children);
}

function usersSection(container: HTMLElement): void {
  const results = h('div');
  const search = h('input', { type: 'search', id: 'user-filter', placeholder: 'Filter by username', autocomplete: 'off' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = (page: number): Promise<void> =>
    loadInto(results, async () => {
      const query: Record<string, string> = search.value.trim() ? { username: search.value.trim() } : {};
      const { items, total } = await list<User>('/users', page, pageSize, query);
      if (total === 0) return emptyState('No users match.');
      return [
        table<User>(
          [
            { title: 'Username', cell: (u) => u.username },
            { title: 'Name', cell: (u) => u.realname ?? '' },
            { title: 'Email', cell: (u) => u.email ?? '' },
            {
              title: 'System admin',
              cell: (u) => {
                const box = h('input', { type: 'checkbox', checked: u.sysadmin_flag, 'aria-label': `${u.username} is a system admin` });
                box.addEventListener('change', () => void act(null, async () => void (await put(`/users/${u.user_id}/sysadmin`, { sysadmin_flag: box.checked })), `${u.username} updated.`));
                return box;
              },
            },
            { title: 'Created', cell: (u) => time(u.creation_time) },
            { title: 'Actions', cell: (u) => (u.user_id === state.user?.user_id ? null : deleteButton(`Delete user ${u.username}`, `Delete the user ${u.username}?`, async () => {
              await del(`/users/${u.user_id}`);
              await load(page);
            }, `${u.username} deleted.`)) },
          ],
          items,
          'Users',
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(1), 250);
  });
  const create = () =>
    formDialog(
      'New user',
      [
        field('Username', h('input', { name: 'username', required: true, autocomplete: 'off' })),
        field('Email', h('input', { name: 'email', type: 'email', required: true })),
        field('Full name', h('input', { name: 'realname' })),
        field('Password', h('input', { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' }), '8+ characters with upper-case, lower-case and a digit.'),
      ],
      'Create',
      async (form) => {
        await post('/users', { username: valueOf(form, 'username'), email: valueOf(form, 'email'), realname: valueOf(form, 'realname'), password: valueOf(form, 'password') });
        toast(`User ${valueOf(form, 'username')} created.`);
        await load(1);
      },
    );
  replace(container, toolbar(h('label', { for: 'user-filter', class: 'visually-hidden' }, 'Filter users'), search, h('button', { type: 'button', class: 'primary', onclick: create }, 'New user')), results);
  void load(1);
}

interface Registry {
  id: number;
  name: string;
  type: string;
  url: string;
  status?: string;
  insecure?: boolean;
  description?: string;
}

// The providers Berth replicates with (any OCI registry speaks `docker-registry`).
const registryTypes: [string, string][] = [
  ['docker-registry', 'Docker Registry (any OCI distribution registry)'],
  ['harbor', 'Harbor (or another Berth)'],
];

function registriesSection(container: HTMLElement): void {
  const results = h('div');
  const reload = (): Promise<void> =>
    loadInto(results, async () => {
      const registries = await get<Registry[]>('/registries');
      if (registries.length === 0) return emptyState('No registry endpoints.', h('p', null, 'Add one to replicate images to or from it.'));
      return table<Registry>(
        [
          { title: 'Name', cell: (r) => r.name },
          { title: 'Type', cell: (r) => r.type },
          { title: 'URL', cell: (r) => r.url },
          { title: 'Status', cell: (r) => r.status ?? '—' },
          { title: 'Verify TLS', cell: (r) => (r.insecure ? 'No' : 'Yes') },
          { title: 'Actions', cell: (r) => deleteButton(`Delete registry ${r.name}`, `Delete the endpoint ${r.name}?`, async () => {
            await del(`/registries/${r.id}`);
            await reload();
          }, 'Endpoint deleted.') },
        ],
        registries,
        'Registries',
      );
    });
  const create = () =>
    formDialog(
      'New registry endpoint',
      [
        field('Provider', select('type', registryTypes)),
        field('Name', h('input', { name: 'name', required: true })),
        field('Endpoint URL', h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://registry.example.com' })),
        field('Access ID', h('input', { name: 'access_key', autocomplete: 'off' })),
        field('Access secret', h('input', { name: 'access_secret', type: 'password', autocomplete: 'new-password' })),
        field('Insecure: allow plain HTTP and skip TLS verification', h('input', { name: 'insecure', type: 'checkbox' })),
      ],
      'Create',
      async (form) => {
        const key = valueOf(form, 'access_key');
        const secret = valueOf(form, 'access_secret');
        const target = { type: valueOf(form, 'type'), url: valueOf(form, 'url'), insecure: checked(form, 'insecure') };
        const ping = await post('/registries/ping', { ...target, ...(key ? { credential_type: 'basic', access_key: key, access_secret: secret } : {}) }).then(
          () => true,
          () => false,
        );
        await post('/registries', { name: valueOf(form, 'name'), ...target, ...(key ? { credential: { type: 'basic', access_key: key, access_secret: secret } } : {}) });
        toast(ping ? 'Endpoint added; it answers.' : 'Endpoint added, but it did not answer a test connection.', ping ? 'ok' : 'error');
        await reload();
      },
    );
  replace(container, toolbar(h('button', { type: 'button', class: 'primary', onclick: create }, 'New endpoint')), results);
  void reload();
}

interface ReplicationPolicy {
  id: number;
  name: string;
  enabled: boolean;
  src_registry?: { id: number; name: string } | null;
  dest_registry?: { id: number; name: string } | null;
  dest_namespace?: string;
  trigger?: { type: string; trigger_settings?: { cron?: string } };
  filters?: { type: string; value: unknown }[];
}

interface Execution {
  id: number;
  policy_id: number;
  status: string;
  trigger: string;
  start_time?: string;
  end_time?: string;
  total?: number;
  succeed?: number;
  failed?: number;
}

function replicationSection(container: HTMLElement): void {
  const results = h('div');
  const executions = h('div');
  const loadExecutions = (policy: ReplicationPolicy): Promise<void> =>
    loadInto(executions, async () => {
      const { items, total } = await list<Execution>('/replication/executions', 1, pageSize, { policy_id: String(policy.id) });
      const heading = h('h2', null, `Executions of ${policy.name}`);
      if (total === 0) return [heading, emptyState('Not run yet.')];
      return [
        heading,
        table<Execution>(
          [
            { title: 'ID', cell: (e) => e.id, class: 'num' },
            { title: 'Status', cell: (e) => e.status },
            { title: 'Trigger', cell: (e) => e.trigger },
            { title: 'Started', cell: (e) => time(e.start_time) },
            { title: 'Ended', cell: (e) => time(e.end_time) },
            { title: 'Succeeded / failed / total', cell: (e) => `${e.succeed ?? 0} / ${e.failed ?? 0} / ${e.total ?? 0}` },
          ],
          items,
          'Executions',
        ),
      ];
    });
  const reload = (): Promise<void> =>
    loadInto(results, async () => {
      const policies = await get<ReplicationPolicy[]>('/replication/policies');
      if (policies.length === 0) return emptyState('No replication rules.', h('p', null, 'Add a registry endpoint, then a rule that pushes to or pulls from it.'));
      return table<ReplicationPolicy>(
        [
          { title: 'Name', cell: (p) => p.name },
          { title: 'Source', cell: (p) => p.src_registry?.name ?? 'this registry' },
          { title: 'Destination', cell: (p) => `${p.dest_registry?.name ?? 'this registry'}${p.dest_namespace ? ` / ${p.dest_namespace}` : ''}` },
          { title: 'Trigger', cell: (p) => p.trigger?.type ?? 'manual' },
          { title: 'Enabled', cell: (p) => (p.enabled ? 'Yes' : 'No') },
          {
            title: 'Actions',
            cell: (p) => {
              const run: HTMLButtonElement = h('button', { type: 'button', onclick: () => act(run, async () => {
                await post('/replication/executions', { policy_id: p.id });
                await loadExecutions(p);
              }, `Replication ${p.name} started.`) }, 'Replicate');
              const show = h('button', { type: 'button', onclick: () => void loadExecutions(p) }, 'Executions');
              return h('div', { class: 'row-actions' }, run, show, deleteButton(`Delete rule ${p.name}`, `Delete the replication rule ${p.name}?`, async () => {
                await del(`/replication/policies/${p.id}`);
                await reload();
              }, 'Rule deleted.'));
            },
          },
        ],
        policies,
        'Replication rules',
      );
    });
  const create = async () => {
    const registries = await get<Registry[]>('/registries').catch(() => [] as Registry[]);
    formDialog(
      'New replication rule',
      [
        field('Name', h('input', { name: 'name', required: true })),
        field('Direction', select('direction', [['push', 'Push to the endpoint'], ['pull', 'Pull from the endpoint']])),
        field('Endpoint', select('registry', registries.map((r) => [String(r.id), r.name] as [string, string]))),
        field('Resource filter (name)', h('input', { name: 'filter', placeholder: 'library/**' }), 'Doublestar pattern; empty means everything.'),
        field('Destination namespace', h('input', { name: 'dest_namespace' })),
        field('Trigger', select('trigger', [['manual', 'Manual'], ['event_based', 'On push'], ['scheduled', 'Scheduled']])),
        field('Cron (scheduled only)', h('input', { name: 'cron', placeholder: '0 0 * * * *' })),
        field('Replicate deletions', h('input', { name: 'deletion', type: 'checkbox' })),
      ],
      'Create',
      async (form) => {
        const registry = { id: Number(valueOf(form, 'registry')) };
        const push = valueOf(form, 'direction') === 'push';
        const trigger = valueOf(form, 'trigger');
        const filter = valueOf(form, 'filter');
        await post('/replication/policies', {
          name: valueOf(form, 'name'),
          enabled: true,
          src_registry: push ? null : registry,
          dest_registry: push ? registry : null,
          dest_namespace: valueOf(form, 'dest_namespace'),
          filters: filter ? [{ type: 'name', value: filter }] : [],
          trigger: { type: trigger, ...(trigger === 'scheduled' ? { trigger_settings: { cron: valueOf(form, 'cron') } } : {}) },
          deletion: checked(form, 'deletion'),
          override: true,
        });
        await reload();
      },
    );
  };
  replace(container, toolbar(h('button', { type: 'button', class: 'primary', onclick: () => void create() }, 'New rule')), results, executions);
  void reload();
}

interface Scanner {
  uuid: string;
  name: string;
  url: string;
  description?: string;
  is_default?: boolean;
  disabled?: boolean;
  health?: string;
}

function scannersSection(container: HTMLElement): void {
  const results = h('div');
  const reload = (): Promise<void> =>
    loadInto(results, async () => {
      const scanners = await get<Scanner[]>('/scanners');
      if (scanners.length === 0) return emptyState('No scanners.', h('p', null, 'Add a scanner adapter (Harbor’s pluggable scanner API) to scan images.'));
      return table<Scanner>(
        [
          { title: 'Name', cell: (s) => [s.name, s.is_default ? h('span', { class: 'badge' }, 'Default') : null] },
          { title: 'URL', cell: (s) => s.url },
          { title: 'Health', cell: (s) => s.health ?? '—' },
          { title: 'Enabled', cell: (s) => (s.disabled ? 'No' : 'Yes') },
          {
            title: 'Actions',
            cell: (s) => {
              const makeDefault: HTMLButtonElement = h('button', { type: 'button', disabled: s.is_default, onclick: () => act(makeDefault, async () => {
                await patch(`/scanners/${encodeURIComponent(s.uuid)}`, { is_default: true });
                await reload();
              }, `${s.name} is the default scanner.`) }, 'Set as default');
              return h('div', { class: 'row-actions' }, makeDefault, deleteButton(`Delete scanner ${s.name}`, `Delete the scanner ${s.name}?`, async () => {
                await del(`/scanners/${encodeURIComponent(s.uuid)}`);
                await reload();
              }, 'Scanner deleted.'));
            },
          },
        ],
        scanners,
        'Scanners',
      );
    });
  const create = () =>
    formDialog(
      'New scanner',
      [
        field('Name', h('input', { name: 'name', required: true })),
        field('Adapter URL', h('input', { name: 'url', type: 'url', required: true })),
        field('Authorization', select('auth', [['', 'None'], ['Bearer', 'Bearer'], ['Basic', 'Basic'], ['X-ScannerAdapter-API-Key', 'API key']])),
        field('Credential', h('input', { name: 'access_credential', type: 'password', autocomplete: 'off' })),
      ],
      'Create',
      async (form) => {
        await post('/scanners', { name: valueOf(form, 'name'), url: valueOf(form, 'url'), auth: valueOf(form, 'auth'), access_credential: valueOf(form, 'access_credential') });
        await reload();
      },
    );
  const scanAll = h('div');
  void loadInto(scanAll, async () => {
    const current = await get<{ schedule?: { type?: string; cron?: string } }>('/system/scanAll/schedule');
    const cron = h('input', { name: 'cron', value: current.schedule?.cron ?? '', placeholder: '0 0 3 * * *' });
    const save: HTMLButtonElement = h('button', { type: 'button', onclick: () => act(save, async () => {
      const value = cron.value.trim();
      await put('/system/scanAll/schedule', { schedule: value ? { type: 'Custom', cron: value } : { type: 'None' } });
    }, 'Schedule saved.') }, 'Save schedule');
    const now: HTMLButtonElement = h('button', { type: 'button', class: 'primary', onclick: () => act(now, async () => void (await post('/system/scanAll/now')), 'Scanning every artifact.') }, 'Scan all now');
    return [
      h('p', null, `Scheduled: ${current.schedule?.type ?? 'None'}${current.schedule?.cron ? ` (${current.schedule.cron})` : ''}`),
      field('Cron schedule for scanning everything (empty: none)', cron),
      h('div', { class: 'row-actions' }, save, now),
    ];
  });
  replace(
    container,
    toolbar(h('button', { type: 'button', class: 'primary', onclick: create }, 'New scanner')),
    results,
    h('section', { class: 'card' }, h('h2', null, 'Scan all artifacts'), scanAll),
  );
  void reload();
}

interface GcRun {
  id: number;
  job_kind?: string;
  job_status: string;
  creation_time?: string;
  update_time?: string;
  job_parameters?: string;
}

function gcSection(container: HTMLElement): void {
  const history = h('div');
  const schedule = h('div');
  const load = (page: number): Promise<void> =>
    loadInto(history, async () => {
      const { items, total } = await list<GcRun>('/system/gc', page, pageSize);
      if (total === 0) return emptyState('Garbage collection has not run yet.');
      return [
        table<GcRun>(
          [
            { title: 'ID', cell: (r) => r.id, class: 'num' },
            { title: 'Kind', cell: (r) => r.job_kind ?? '' },
            { title: 'Status', cell: (r) => r.job_status },
            { title: 'Parameters', cell: (r) => r.job_parameters ?? '' },
            { title: 'Started', cell: (r) => time(r.creation_time) },
            { title: 'Updated', cell: (r) => time(r.update_time) },
            { title: 'Log', cell: (r) => h('a', { href: `/api/v2.0/system/gc/${r.id}/log`, target: '_blank', rel: 'noopener' }, 'View log') },
          ],
          items,
          'Garbage collection runs',
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });
  void loadInto(schedule, async () => {
    const current = await get<{ schedule?: { type?: string; cron?: string } }>('/system/gc/schedule').catch((error: unknown) => {
      throw error;
    });
    const cron = h('input', { name: 'cron', value: current.schedule?.cron ?? '', placeholder: '0 0 2 * * *' });
    const untagged = h('input', { type: 'checkbox', name: 'delete_untagged' });
    const save: HTMLButtonElement = h('button', { type: 'button', onclick: () => act(save, async () => {
      const value = cron.value.trim();
      await put('/system/gc/schedule', { schedule: value ? { type: 'Custom', cron: value } : { type: 'None' }, parameters: { delete_untagged: untagged.checked } });
    }, 'Schedule saved.') }, 'Save schedule');
    const runNow = (dryRun: boolean) => {
      const button: HTMLButtonElement = h('button', { type: 'button', class: dryRun ? '' : 'primary', onclick: () => act(button, async () => {
        await post('/system/gc/schedule', { schedule: { type: 'Manual' }, parameters: { delete_untagged: untagged.checked, dry_run: dryRun } });
        await load(1);
      }, dryRun ? 'Dry run started.' : 'Garbage collection started.') }, dryRun ? 'Dry run' : 'Run now');
      return button;
    };
    return [
      h('p', null, `Current schedule: ${current.schedule?.type ?? 'None'}${current.schedule?.cron ? ` (${current.schedule.cron})` : ''}`),
      field('Cron schedule (empty: none)', cron),
      field('Delete untagged artifacts', untagged),
      h('div', { class: 'row-actions' }, save, runNow(false), runNow(true)),
    ];
  });
  replace(container, h('section', { class: 'card' }, h('h2', null, 'Schedule'), schedule), h('h2', null, 'History'), history);
  void load(1);
}

interface Allowlist {
  id?: number;
  items?: { cve_id: string }[];
  expires_at?: number | null;
}

function allowlistSection(container: HTMLElement): void {
  const body = h('div');
  void loadInto(body, async () => {
    const current = await get<Allowlist>('/system/CVEAllowlist');
    const ids = h('textarea', { name: 'items', rows: 8 }, (current.items ?? []).map((i) => i.cve_id).join('\n'));
    const expires = h('input', { type: 'date', name: 'expires_at', value: current.expires_at ? new Date(current.expires_at * 1000).toISOString().slice(0, 10) : '' });
    const save: HTMLButtonElement = h('button', { type: 'button', class: 'primary', onclick: () => act(save, async () => {
      const items = ids.value.split(/[\s,]+/).filter(Boolean).map((cve_id) => ({ cve_id }));
      await put('/system/CVEAllowlist', { items, expires_at: expires.value ? Math.floor(Date.parse(expires.value) / 1000) : null });
    }, 'Allowlist saved.') }, 'Save');
    return [
      h('p', null, 'Vulnerabilities listed here are ignored when deciding whether a pull is prevented, in every project.'),
      field('CVE IDs (one per line)', ids),
      field('Expires on (empty: never)', expires),
      h('div', { class: 'actions' }, save),
    ];
  });
  replace(container, body);
}

const ldapFields: [key: string, label: string, type: string][] = [
  ['ldap_url', 'LDAP URL', 'text'],
  ['ldap_search_dn', 'Search DN', 'text'],
  ['ldap_search_password', 'Search password', 'password'],
  ['ldap_base_dn', 'Base DN', 'text'],
  ['ldap_filter', 'Filter', 'text'],
  ['ldap_uid', 'UID attribute', 'text'],
  ['ldap_scope', 'Scope (0 base, 1 one level, 2 subtree)', 'number'],
  ['ldap_timeout', 'Timeout (seconds)', 'number'],
  ['ldap_group_base_dn', 'Group base DN', 'text'],
  ['ldap_group_search_filter', 'Group filter', 'text'],
  ['ldap_group_attribute_name', 'Group name attribute', 'text'],
  ['ldap_group_admin_dn', 'Group DN of system admins', 'text'],
  ['ldap_group_membership_attribute', 'Membership attribute', 'text'],
];

function configurationSection(container: HTMLElement): void {
  const body = h('div');
  void loadInto(body, async () => {
    const config = await get<Record<string, { value: unknown; editable?: boolean }>>('/configurations');
    const value = (key: string) => config[key]?.value;
    const mode = select('auth_mode', [['db_auth', 'Database (local users)'], ['ldap_auth', 'LDAP']], String(value('auth_mode') ?? 'db_auth'));
    const creation = select('project_creation_restriction', [['everyone', 'Everyone'], ['adminonly', 'System admins only']], String(value('project_creation_restriction') ?? 'everyone'));
    const inputs = ldapFields
      .filter(([key]) => key in config || key === 'ldap_search_password')
      .map(([key, label, type]) => field(label, h('input', { name: key, type, value: type === 'password' ? '' : (value(key) ?? ''), autocomplete: 'off', placeholder: type === 'password' ? 'unchanged' : '' })));
    const verify = h('input', { type: 'checkbox', name: 'ldap_verify_cert', checked: value('ldap_verify_cert') !== false });
    const status = h('div');
    const form = h('form', { class: 'card' }, h('h2', null, 'Authentication'), field('Auth mode', mode), field('Who can create projects', creation), h('fieldset', null, h('legend', null, 'LDAP'), inputs, field('Verify the LDAP server certificate', verify)), status);
    const collect = (): Record<string, unknown> => {
      const changes: Record<string, unknown> = { auth_mode: mode.value, project_creation_restriction: creation.value, ldap_verify_cert: verify.checked };
      for (const [key, , type] of ldapFields) {
        const input = form.elements.namedItem(key);
        if (!(input instanceof HTMLInputElement)) continue;
        if (type === 'password' && input.value === '') continue;
        if (type === 'number') {
          if (input.value !== '') changes[key] = Number(input.value);
        } else if (input.value !== String(value(key) ?? '')) changes[key] = input.value;
      }
      return changes;
    };
    const save: HTMLButtonElement = h('button', { type: 'submit', class: 'primary' }, 'Save');
    const test: HTMLButtonElement = h('button', { type: 'button', onclick: () => act(test, async () => {
      const { auth_mode: _mode, project_creation_restriction: _creation, ...ldap } = collect();
      const result = (await (await post('/ldap/ping', ldap)).json()) as { success: boolean; message?: string };
      replace(status, h('p', { class: result.success ? 'ok' : 'error', role: 'status' }, result.success ? 'The LDAP server answered and the search bind worked.' : `LDAP test failed: ${result.message ?? 'unknown error'}`));
    }) }, 'Test LDAP server');
    form.append(h('div', { class: 'actions' }, test, save));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void act(save, async () => {
        replace(status);
        await put('/configurations', collect());
      }, 'Configuration saved.');
    });
    return form;
  });
  replace(container, body);
}

const sections: [id: string, label: string, draw: (container: HTMLElement) => void][] = [
  ['users', 'Users', usersSection],
  ['registries', 'Registries', registriesSection],
  ['replications', 'Replications', replicationSection],
  ['scanners', 'Scanners', scannersSection],
  ['gc', 'Garbage collection', gcSection],
  ['cve-allowlist', 'CVE allowlist', allowlistSection],
  ['configuration', 'Configuration', configurationSection],
];

function adminPage(view: HTMLElement, params: Record<string, string>): void {
  const current = sections.find(([id]) => id === params.section) ?? sections[0]!;
  const panel = h('section', { class: 'panel', 'aria-label': current[1] });
  replace(
    view,
    h('h1', null, `Administration: ${current[1]}`),
    h('nav', { class: 'tabs', 'aria-label': 'Administration sections' }, sections.map(([id, label]) => {
      const anchor = link(paths.admin(id), label);
      if (id === current[0]) anchor.setAttribute('aria-current', 'page');
      return anchor;
    })),
    panel,
  );
  if (!state.user?.sysadmin_flag) {
    replace(panel, errorBox(new Error(state.user ? 'Only system admins can see this.' : 'Log in as a system admin to see this.')));
    return;
  }
  current[2](panel);
}

route('/harbor/admin', adminPage);
route('/harbor/admin/:section', adminPage);
