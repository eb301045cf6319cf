import { del, get, post, put, seg } from '../api.js';
import { act, confirmDialog, emptyState, field, formDialog, loadInto, select, table, toast, valueOf } from '../components.js';
import { h, replace } from '../dom.js';
import { type Member, type Project, roleName, roles } from '../types.js';

/** A project's members: users and LDAP groups with their roles. */
export function membersTab(container: HTMLElement, project: Project): void {
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
