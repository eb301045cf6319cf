import { type CurrentUser, state } from './state.js';
import { ApiError, get, onBusy, onUnauthorized } from './api.js';
import { h, replace } from './dom.js';
import { errorBox } from './components.js';
import { link, match, navigate, paths, setNavigationHandler } from './router.js';
import './pages/login.js';
import './pages/projects.js';
import './pages/project.js';
import './pages/repository.js';
import './pages/artifact.js';
import './pages/admin.js';
import './pages/open-registry.js';
import './pages/account.js';
import './pages/search.js';

const root = document.getElementById('app')!;
state.auth = document.body.dataset.auth === 'off' ? 'off' : 'on';

const busy = h('div', { class: 'busy', role: 'progressbar', 'aria-label': 'Loading', hidden: true });
onBusy((on) => {
  busy.hidden = !on;
});

onUnauthorized(() => {
  // The session ended (expired, or logged out elsewhere): start again from the sign-in page.
  if (state.user && !location.pathname.startsWith('/harbor/sign-in')) {
    state.user = null;
    navigate(paths.login(location.pathname + location.search), true);
  }
});

function header(): HTMLElement {
  const nav = h(
    'nav',
    { class: 'top', 'aria-label': 'Main' },
    link(paths.projects(), state.auth === 'off' ? 'Repositories' : 'Projects'),
    state.user?.sysadmin_flag ? link(paths.admin(), 'Administration') : null,
  );
  const account =
    state.auth === 'off'
      ? h('span', { class: 'badge warn' }, 'Open registry')
      : state.user
        ? h('span', { class: 'account' }, link('/harbor/account', h('span', { class: 'who' }, state.user.username)), link('/harbor/sign-out', 'Log out'))
        : link(paths.login(location.pathname), 'Log in');
  for (const anchor of nav.querySelectorAll('a')) {
    if (location.pathname.startsWith(anchor.pathname)) anchor.setAttribute('aria-current', 'page');
  }
  return h('header', { class: 'bar' }, h('a', { class: 'skip', href: '#main' }, 'Skip to content'), link(paths.projects(), h('span', { class: 'brand' }, 'Berth')), nav, search(), account);
}

function search(): HTMLElement | null {
  if (state.auth === 'off') return null;
  const input = h('input', { type: 'search', name: 'q', id: 'global-search', placeholder: 'Search projects and repositories', autocomplete: 'off', value: new URLSearchParams(location.search).get('q') ?? '' });
  const form = h('form', { class: 'search', role: 'search' }, h('label', { for: 'global-search', class: 'visually-hidden' }, 'Search projects and repositories'), input);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`/harbor/search?q=${encodeURIComponent(input.value.trim())}`);
  });
  return form;
}

function openBanner(): HTMLElement | null {
  if (state.auth !== 'off') return null;
  return h(
    'p',
    { class: 'banner', role: 'note' },
    'This registry runs open: there is no login, and anyone who can reach it can push, pull and delete. ',
    'Start it with BERTH_ADMIN_PASSWORD (or BERTH_AUTH=on) to turn on users, projects and the management API.',
  );
}

async function render(): Promise<void> {
  const atRoot = location.pathname === '/' || location.pathname === '/harbor' || location.pathname === '/harbor/';
  // Like Harbor's portal, the front door of a registry with identity is its sign-in page.
  const path = atRoot ? (state.auth === 'on' && !state.user ? paths.login() : paths.projects()) : location.pathname;
  if (path !== location.pathname) history.replaceState(null, '', path);
  const view = h('main', { id: 'main', tabindex: '-1' });
  replace(root, header(), openBanner(), busy, view);
  const found = match(path);
  if (!found) {
    replace(view, h('h1', null, 'Page not found'), h('p', null, 'Nothing lives at this address. ', link(paths.projects(), 'Go to projects')));
    return;
  }
  try {
    await found.page(view, found.params, new URLSearchParams(location.search));
  } catch (error) {
    view.append(errorBox(error));
  }
  const heading = view.querySelector('h1');
  document.title = heading?.textContent ? `${heading.textContent} · Berth` : 'Berth';
}

setNavigationHandler(() => {
  void render().then(() => {
    // Move focus to the new page, as a full page load would, so keyboard and screen reader users follow.
    document.getElementById('main')?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  });
});
addEventListener('popstate', () => void render());

async function boot(): Promise<void> {
  if (state.auth === 'on') {
    try {
      state.user = await get<CurrentUser>('/users/current');
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) console.warn('could not read the current user', error);
    }
  }
  await render();
  // The first page is drawn and its controls answer: what bench/ui.ts times.
  performance.mark('berth:interactive');
}

void boot();
