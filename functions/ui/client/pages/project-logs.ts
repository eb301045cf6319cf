import { seg } from '../api.js';
import type { Project } from '../types.js';
import { auditTable } from './audit-table.js';

/** A project's audit log, newest first as the API pages it. */
export function logsTab(container: HTMLElement, project: Project): void {
  auditTable(container, `/projects/${seg(project.name)}/logs`, 'Logs', 'Nothing has happened in this project yet.');
}
