import { del, get, list, post } from '../api.js';
import { act, checked, deleteButton, emptyState, field, formDialog, loadInto, select, table, toast, toolbar, valueOf } from '../components.js';
import { h, replace } from '../dom.js';
import { time } from '../format.js';

const pageSize = 15;

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

/** Administration: the remote registries replication pushes to and pulls from. */
export function registriesSection(container: HTMLElement): void {
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

/** Administration: replication rules, running one, and each rule's executions. */
export function replicationSection(container: HTMLElement): void {
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
