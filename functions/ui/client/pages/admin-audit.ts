import { auditTable } from './audit-table.js';

/** Administration: the whole registry's audit log (Harbor's `/audit-logs`), pages of it. */
export function auditSection(container: HTMLElement): void {
  auditTable(container, '/audit-logs', 'Audit log', 'Nothing recorded yet.');
}
