import { field, valueOf } from '../components.js';
import { h } from '../dom.js';
import { robotsPanel } from './project-robots.js';

/** Administration: system robot accounts, holding permissions on every project or on several. */
export function systemRobotsSection(container: HTMLElement): void {
  robotsPanel(container, {
    query: 'Level=system',
    level: 'system',
    loginHint: 'robot$NAME',
    fields: () => [field('Projects', h('input', { name: 'projects', value: '*', required: true, autocomplete: 'off' }), 'Project names, comma separated, or * for every project (present and future).')],
    permissions: (form, access) =>
      valueOf(form, 'projects')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
        .map((namespace) => ({ kind: 'project', namespace, access })),
  });
}
