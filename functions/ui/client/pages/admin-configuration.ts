import { get, post, put } from '../api.js';
import { act, field, loadInto, select } from '../components.js';
import { h, replace } from '../dom.js';

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

/** Administration: the auth mode, who creates projects, and the LDAP settings with a test. */
export function configurationSection(container: HTMLElement): void {
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
