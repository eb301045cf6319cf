import { put } from '../api.js';
import { act, errorBox, field, toast } from '../components.js';
import { h, replace } from '../dom.js';
import { route } from '../router.js';
import { state } from '../state.js';

/** The signed-in user's own account: who they are, and their password (local accounts). */
route('/harbor/account', (view) => {
  const user = state.user;
  if (!user) {
    replace(view, h('h1', null, 'Your account'), errorBox(new Error('Log in to see your account.')));
    return;
  }
  const current = h('input', { type: 'password', name: 'old_password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true, minlength: 8 });
  const again = h('input', { type: 'password', name: 'again', autocomplete: 'new-password', required: true });
  const status = h('div');
  const save = h('button', { type: 'submit', class: 'primary' }, 'Change password');
  const form = h(
    'form',
    { class: 'card narrow-left' },
    h('h2', null, 'Change password'),
    field('Current password', current),
    field('New password', next, '8+ characters with an upper-case letter, a lower-case letter and a digit.'),
    field('New password again', again),
    status,
    h('div', { class: 'actions' }, save),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replace(status);
    if (next.value !== again.value) {
      replace(status, h('p', { class: 'error', role: 'alert' }, 'The new passwords differ.'));
      return;
    }
    void act(save, async () => {
      try {
        await put(`/users/${user.user_id}/password`, { old_password: current.value, new_password: next.value });
      } catch (error) {
        replace(status, errorBox(error));
        throw error;
      }
      form.reset();
      toast('Password changed.');
    });
  });
  replace(
    view,
    h('h1', null, 'Your account'),
    h('dl', { class: 'facts' }, h('dt', null, 'Username'), h('dd', null, user.username), h('dt', null, 'Email'), h('dd', null, user.email || '—'), h('dt', null, 'Name'), h('dd', null, user.realname || '—'), h('dt', null, 'System admin'), h('dd', null, user.sysadmin_flag ? 'Yes' : 'No')),
    form,
  );
});
