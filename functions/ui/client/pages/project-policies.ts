import { del, get, post, put, seg } from '../api.js';
import { act, confirmDialog, emptyState, errorBox, field, formDialog, loadInto, select, table, toast, valueOf } from '../components.js';
import { h, replace } from '../dom.js';
import type { Project } from '../types.js';

/** Harbor's project metadata switches for security policy, with what each one means. */
const switches: [key: string, label: string, hint: string][] = [
  ['public', 'Public', 'Anyone can pull, without logging in.'],
  ['enable_content_trust_cosign', 'Enforce content trust (cosign)', 'Only signed images can be pulled.'],
  ['enable_content_trust', 'Enforce content trust (Notation)', 'Only images signed with Notation can be pulled.'],
  ['prevent_vul', 'Prevent vulnerable images from running', 'Refuse pulls of images with vulnerabilities at or above the severity below.'],
  ['auto_scan', 'Scan images on push', 'Every pushed image is scanned for vulnerabilities.'],
  ['auto_sbom_generation', 'Generate an SBOM on push', 'Every pushed image gets a software bill of materials.'],
];

function metadataForm(container: HTMLElement, project: Project): void {
  const metadata = project.metadata ?? {};
  const status = h('div');
  const boxes = switches.map(([key, label, hint]) => field(label, h('input', { type: 'checkbox', name: key, checked: metadata[key] === 'true' }), hint));
  const severity = select('severity', [['critical', 'Critical'], ['high', 'High'], ['medium', 'Medium'], ['low', 'Low'], ['none', 'None']], metadata.severity ?? 'high');
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h('form', { class: 'card' }, h('h2', null, 'Project settings'), boxes, field('Severity that blocks pulls', severity), status, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const wanted: Record<string, string> = { severity: severity.value };
    for (const [key] of switches) wanted[key] = String((form.elements.namedItem(key) as HTMLInputElement).checked);
    await act(save, async () => {
      await put(`/projects/${seg(project.name)}`, { metadata: wanted });
      // Say plainly which settings this registry did not keep, rather than pretend it did.
      const stored = (await get<Project>(`/projects/${seg(project.name)}`)).metadata ?? {};
      const changed = switches.filter(([key]) => wanted[key] !== (metadata[key] ?? 'false'));
      const ignored = changed.filter(([key]) => (stored[key] ?? 'false') !== wanted[key]).map(([, label]) => label);
      project.metadata = stored;
      replace(status, ignored.length ? h('p', { class: 'notice', role: 'status' }, `Not available on this registry yet: ${ignored.join(', ')}.`) : null);
      toast(ignored.length ? 'Saved what this registry supports.' : 'Settings saved.');
    });
  });
  container.append(form);
}

interface Selector {
  kind: string;
  decoration: string;
  pattern: string;
}

interface ImmutableRule {
  id: number;
  disabled?: boolean;
  tag_selectors?: Selector[];
  scope_selectors?: { repository?: Selector[] };
}

function immutabilitySection(container: HTMLElement, project: Project): void {
  const base = `/projects/${seg(project.name)}/immutabletagrules`;
  const results = h('div');
  const reload = () =>
    loadInto(results, async () => {
      const rules = await get<ImmutableRule[]>(base);
      if (rules.length === 0) return emptyState('No immutability rules: any tag can be moved or deleted.');
      return table<ImmutableRule>(
        [
          { title: 'Repositories', cell: (r) => r.scope_selectors?.repository?.map((s) => `${s.decoration} ${s.pattern}`).join(', ') ?? '' },
          { title: 'Tags', cell: (r) => r.tag_selectors?.map((s) => `${s.decoration} ${s.pattern}`).join(', ') ?? '' },
          { title: 'Enabled', cell: (r) => (r.disabled ? 'No' : 'Yes') },
          {
            title: 'Actions',
            cell: (r) => {
              const remove: HTMLButtonElement = h('button', {
                type: 'button',
                class: 'danger',
                onclick: async () => {
                  if (!(await confirmDialog('Delete this immutability rule?', 'Delete'))) return;
                  await act(remove, async () => {
                    await del(`${base}/${r.id}`);
                    await reload();
                  }, 'Rule deleted.');
                },
              }, 'Delete');
              return remove;
            },
          },
        ],
        rules,
        'Immutability rules',
      );
    });
  const add = () =>
    formDialog(
      'New immutability rule',
      [
        field('Repositories matching', h('input', { name: 'repos', value: '**', required: true }), 'Doublestar patterns, comma separated.'),
        field('Tags matching', h('input', { name: 'tags', value: '**', required: true })),
      ],
      'Add',
      async (form) => {
        await post(base, {
          disabled: false,
          action: 'immutable',
          template: 'immutable_template',
          tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: valueOf(form, 'tags') }],
          scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: valueOf(form, 'repos') }] },
        });
        toast('Rule added.');
        await reload();
      },
    );
  container.append(h('section', { class: 'card' }, h('h2', null, 'Tag immutability'), h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: add }, 'Add rule')), results));
  void reload();
}

interface RetentionPolicy {
  id: number;
  rules?: { template: string; params?: Record<string, unknown>; disabled?: boolean; tag_selectors?: Selector[]; scope_selectors?: { repository?: Selector[] } }[];
  trigger?: { kind?: string; settings?: { cron?: string } };
}

function retentionSection(container: HTMLElement, project: Project): void {
  const results = h('div');
  container.append(h('section', { class: 'card' }, h('h2', null, 'Tag retention'), results));
  void loadInto(results, async () => {
    const id = project.metadata?.retention_id;
    if (!id) {
      // Probe the endpoint so a registry without retention says so, rather than "no rules".
      await get(`/retentions/metadatas`);
      return emptyState('No retention rules: every artifact is kept.');
    }
    const policy = await get<RetentionPolicy>(`/retentions/${seg(id)}`);
    const rules = policy.rules ?? [];
    return [
      h('p', null, `Runs: ${policy.trigger?.settings?.cron ? `on schedule ${policy.trigger.settings.cron}` : 'manually'}`),
      rules.length === 0
        ? emptyState('No retention rules.')
        : h('ul', null, rules.map((rule) => h('li', null, `${rule.template} ${JSON.stringify(rule.params ?? {})} on repositories ${rule.scope_selectors?.repository?.map((s) => s.pattern).join(', ') ?? '**'}, tags ${rule.tag_selectors?.map((s) => s.pattern).join(', ') ?? '**'}`))),
    ];
  });
}

interface TrustKey {
  name: string;
  type: 'public_key' | 'certificate';
  algorithm?: string;
  fingerprint?: string;
  identity?: string;
  subject?: string;
  not_after?: string;
}

/** The keys (cosign) and trust anchors (Notation) the project's content trust verifies against. */
function trustKeysSection(container: HTMLElement, project: Project): void {
  const base = `/projects/${seg(project.name)}/trust/keys`;
  const results = h('div');
  const reload = () =>
    loadInto(results, async () => {
      const keys = await get<TrustKey[]>(base);
      if (keys.length === 0) return emptyState('No signing keys: enforced content trust lets nothing through until one is added.');
      return table<TrustKey>(
        [
          { title: 'Name', cell: (k) => k.name },
          { title: 'Kind', cell: (k) => (k.type === 'public_key' ? 'cosign public key' : 'Notation certificate') },
          { title: 'Algorithm', cell: (k) => k.algorithm ?? '' },
          { title: 'Fingerprint', cell: (k) => h('code', { class: 'wrap' }, k.fingerprint ?? '') },
          { title: 'Identity', cell: (k) => k.identity ?? k.subject ?? '' },
          {
            title: 'Actions',
            cell: (k) => {
              const remove: HTMLButtonElement = h('button', {
                type: 'button',
                class: 'danger',
                'aria-label': `Delete key ${k.name}`,
                onclick: async () => {
                  if (!(await confirmDialog(`Stop trusting the key ${k.name}? Images signed only with it can no longer be pulled where content trust is enforced.`, 'Delete'))) return;
                  await act(remove, async () => {
                    await del(`${base}/${seg(k.name)}`);
                    await reload();
                  }, 'Key deleted.');
                },
              }, 'Delete');
              return remove;
            },
          },
        ],
        keys,
        'Signing keys',
      );
    });
  const add = () =>
    formDialog(
      'Trust a signing key',
      [
        field('Name', h('input', { name: 'name', required: true, autocomplete: 'off' })),
        field('Kind', select('kind', [['public_key', 'cosign public key (cosign.pub)'], ['certificate', 'Notation trust anchor (certificate)']])),
        field('PEM', h('textarea', { name: 'pem', rows: 6, required: true, placeholder: '-----BEGIN PUBLIC KEY-----' })),
        field('Signer identity (certificates only)', h('input', { name: 'identity', autocomplete: 'off' }), 'For example x509.subject: CN=release, or * for any.'),
      ],
      'Add key',
      async (form) => {
        const kind = valueOf(form, 'kind');
        const identity = valueOf(form, 'identity');
        await post(base, { name: valueOf(form, 'name'), [kind]: valueOf(form, 'pem'), ...(kind === 'certificate' && identity ? { identity } : {}) });
        toast('Key added; signed artifacts are being checked against it.');
        await reload();
      },
    );
  container.append(h('section', { class: 'card' }, h('h2', null, 'Content trust keys'), h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: add }, 'Add key')), results));
  void reload();
}

/** The project's policies: settings (public, content trust, vulnerability prevention), keys, immutability, retention. */
export function projectPolicies(container: HTMLElement, project: Project): void {
  replace(container);
  try {
    metadataForm(container, project);
    trustKeysSection(container, project);
    immutabilitySection(container, project);
    retentionSection(container, project);
  } catch (error) {
    container.append(errorBox(error));
  }
}
