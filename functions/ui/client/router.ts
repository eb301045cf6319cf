import type { Child } from './dom.js';

/** A page draws itself into `view` from the URL's parameters and query. */
export type Page = (view: HTMLElement, params: Record<string, string>, query: URLSearchParams) => Promise<void> | void;

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
  /** Characters of the path that are not parameters: the more, the more specific the route. */
  literal: number;
}

const routes: Route[] = [];

/**
 * Registers a page for a path like `/harbor/projects/:project/repositories/:repo*`; `:x` is one
 * segment, `:x*` the rest of the path (repository names hold slashes).
 */
export function route(path: string, page: Page): void {
  const names: string[] = [];
  const source = path.replace(/:([a-z]+)(\*?)/g, (_, name: string, rest: string) => {
    names.push(name);
    return rest ? '(.+?)' : '([^/]+)';
  });
  routes.push({ pattern: new RegExp(`^${source}/?$`), names, page, literal: path.replace(/:[a-z]+\*?/g, '').length });
}

/**
 * The most specific route matching `path`, whatever order modules registered them in: a
 * repository (`:repo*`) would otherwise swallow its own artifacts' paths.
 */
export function match(path: string): { page: Page; params: Record<string, string> } | null {
  for (const candidate of [...routes].sort((a, b) => b.literal - a.literal)) {
    const found = candidate.pattern.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    try {
      candidate.names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1] ?? '');
      });
    } catch {
      // A malformed escape (`%zz`) names nothing: the page-not-found page, not a blank one.
      return null;
    }
    return { page: candidate.page, params };
  }
  return null;
}

let onNavigate: () => void = () => undefined;

export function setNavigationHandler(handler: () => void): void {
  onNavigate = handler;
}

export function navigate(url: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  onNavigate();
}

/** An in-app link: a real href (open in new tab works), followed without reloading. */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  const anchor = document.createElement('a');
  anchor.href = href;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    anchor.append(child instanceof Node ? child : String(child));
  }
  anchor.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  });
  return anchor;
}

/** Portal paths for the objects pages link to. */
export const paths = {
  projects: () => '/harbor/projects',
  project: (project: string, tab?: string) => `/harbor/projects/${encodeURIComponent(project)}${tab ? `/${tab}` : ''}`,
  repository: (project: string, repository: string) =>
    `/harbor/projects/${encodeURIComponent(project)}/repositories/${repository.split('/').map(encodeURIComponent).join('/')}`,
  artifact: (project: string, repository: string, digest: string) => `${paths.repository(project, repository)}/artifacts/${encodeURIComponent(digest)}`,
  admin: (section = 'users') => `/harbor/admin/${section}`,
  login: (next?: string) => `/harbor/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`,
};
