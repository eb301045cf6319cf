import { act, checked, confirmDialog, emptyState, field, formDialog, loadInto, table, valueOf } from '../components.js';
import { del, get, post, seg } from '../api.js';
import { h, replace } from '../dom.js';
import type { Project } from '../types.js';

interface WebhookPolicy {
  id: number;
  name: string;
  enabled: boolean;
  event_types?: string[];
  targets?: { type: string; address: string }[];
}

const webhookEvents = ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'QUOTA_EXCEED', 'REPLICATION', 'TAG_RETENTION'];

/** A project's webhook policies: where events are sent. */
export function webhooksTab(container: HTMLElement, project: Project): void {
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
