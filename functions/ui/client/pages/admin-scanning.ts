import { del, get, patch, post, put } from '../api.js';
import { act, deleteButton, emptyState, field, formDialog, loadInto, select, table, toolbar, valueOf } from '../components.js';
import { h, replace } from '../dom.js';

interface Scanner {
  uuid: string;
  name: string;
  url: string;
  description?: string;
  is_default?: boolean;
  disabled?: boolean;
  health?: string;
}

/** Administration: scanner registrations (Harbor's pluggable scanner API) and scanning everything. */
export function scannersSection(container: HTMLElement): void {
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

interface Allowlist {
  id?: number;
  items?: { cve_id: string }[];
  expires_at?: number | null;
}

/** Administration: the system CVE allowlist the pull policies ignore. */
export function allowlistSection(container: HTMLElement): void {
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
