import { del, list, post, put } from '../api.js';
import { act, deleteButton, emptyState, field, formDialog, loadInto, pager, table, toast, toolbar, valueOf } from '../components.js';
import { h, replace } from '../dom.js';
import { time } from '../format.js';
import { state } from '../state.js';
import type { User } from '../types.js';

const pageSize = 15;

/** A system admin sets another user's password (LDAP users' passwords live in the directory: the API says so). */
function resetPassword(user: User): void {
  formDialog(
    `New password for ${user.username}`,
    [field('New password', h('input', { name: 'new_password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' }), '8+ characters with upper-case, lower-case and a digit.')],
    'Set password',
    async (form) => {
      await put(`/users/${user.user_id}/password`, { new_password: valueOf(form, 'new_password') });
      toast(`Password of ${user.username} changed.`);
    },
  );
}

/** Administration: local and LDAP users (LDAP ones appear after their first login). */
export function usersSection(container: HTMLElement): void {
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
            {
              title: 'Actions',
              cell: (u) =>
                u.user_id === state.user?.user_id
                  ? null
                  : h(
                      'div',
                      { class: 'row-actions' },
                      h('button', { type: 'button', 'aria-label': `Reset the password of ${u.username}`, onclick: () => resetPassword(u) }, 'Reset password'),
                      deleteButton(`Delete user ${u.username}`, `Delete the user ${u.username}?`, async () => {
                        await del(`/users/${u.user_id}`);
                        await load(page);
                      }, `${u.username} deleted.`),
                    ),
            },
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
