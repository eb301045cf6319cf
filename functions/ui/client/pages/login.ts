import { ApiError, forgetCsrfToken, get, send } from '../api.js';
import { errorBox, field, toast } from '../components.js';
import { h, replace } from '../dom.js';
import { link, navigate, paths, route } from '../router.js';
import { type CurrentUser, state } from '../state.js';

/** Only our own pages may be a `next` target (no open redirect through the sign-in page). */
function safeNext(query: URLSearchParams): string {
  const next = query.get('next') ?? '';
  return next.startsWith('/harbor/') && !next.startsWith('/harbor/sign-') ? next : paths.projects();
}

route('/harbor/sign-in', (view, _params, query) => {
  if (state.auth === 'off') {
    replace(view, h('h1', null, 'No login needed'), h('p', null, 'This registry runs without identity. ', link(paths.projects(), 'Browse projects')));
    return;
  }
  const username = h('input', { name: 'principal', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h(
    'form',
    { class: 'card narrow' },
    h('h1', null, 'Log in to Berth'),
    h('p', { class: 'muted' }, 'Local and LDAP accounts sign in here alike.'),
    field('Username', username),
    field('Password', password),
    status,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(status);
    try {
      await send('POST', '/c/login', {
        body: new URLSearchParams({ principal: username.value, password: password.value }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      password.value = '';
      state.user = await get<CurrentUser>('/users/current');
      navigate(safeNext(query), true);
    } catch (error) {
      const wrong = error instanceof ApiError && error.status === 401;
      replace(status, wrong ? h('p', { class: 'error', role: 'alert' }, 'Invalid username or password.') : errorBox(error));
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  replace(view, form);
});

route('/harbor/sign-out', async () => {
  try {
    await send('GET', '/c/log_out');
  } finally {
    forgetCsrfToken();
    state.user = null;
  }
  toast('You are logged out.');
  navigate(paths.login(), true);
});
