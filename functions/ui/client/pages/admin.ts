import { errorBox } from '../components.js';
import { h, replace } from '../dom.js';
import { link, paths, route } from '../router.js';
import { state } from '../state.js';
import { auditSection } from './admin-audit.js';
import { configurationSection } from './admin-configuration.js';
import { gcSection } from './admin-gc.js';
import { registriesSection, replicationSection } from './admin-replication.js';
import { systemRobotsSection } from './admin-robots.js';
import { allowlistSection, scannersSection } from './admin-scanning.js';
import { usersSection } from './admin-users.js';

const sections: [id: string, label: string, draw: (container: HTMLElement) => void][] = [
  ['users', 'Users', usersSection],
  ['robots', 'Robot accounts', systemRobotsSection],
  ['registries', 'Registries', registriesSection],
  ['replications', 'Replications', replicationSection],
  ['scanners', 'Scanners', scannersSection],
  ['gc', 'Garbage collection', gcSection],
  ['cve-allowlist', 'CVE allowlist', allowlistSection],
  ['audit', 'Audit log', auditSection],
  ['configuration', 'Configuration', configurationSection],
];

function adminPage(view: HTMLElement, params: Record<string, string>): void {
  const current = sections.find(([id]) => id === params.section) ?? sections[0]!;
  const panel = h('section', { class: 'panel', 'aria-label': current[1] });
  replace(
    view,
    h('h1', null, `Administration: ${current[1]}`),
    h('nav', { class: 'tabs', 'aria-label': 'Administration sections' }, sections.map(([id, label]) => {
      const anchor = link(paths.admin(id), label);
      if (id === current[0]) anchor.setAttribute('aria-current', 'page');
      return anchor;
    })),
    panel,
  );
  if (!state.user?.sysadmin_flag) {
    replace(panel, errorBox(new Error(state.user ? 'Only system admins can see this.' : 'Log in as a system admin to see this.')));
    return;
  }
  current[2](panel);
}

route('/harbor/admin', adminPage);
route('/harbor/admin/:section', adminPage);
