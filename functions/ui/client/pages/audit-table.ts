import { list } from '../api.js';
import { emptyState, loadInto, pager, table } from '../components.js';
import { h, replace } from '../dom.js';
import { time } from '../format.js';

const pageSize = 15;

interface AuditLog {
  id: number;
  username: string;
  resource: string;
  resource_type?: string;
  operation: string;
  op_time: string;
}

/**
 * An audit log, newest first, a page at a time: the whole registry's (`/audit-logs`) or a
 * project's (`/projects/{p}/logs`), which answer records of the same shape.
 */
export function auditTable(container: HTMLElement, path: string, caption: string, nothingYet: string): void {
  const results = h('div');
  const load = (page: number): Promise<void> =>
    loadInto(results, async () => {
      const { items, total } = await list<AuditLog>(path, page, pageSize);
      if (total === 0) return emptyState(nothingYet);
      return [
        table<AuditLog>(
          [
            { title: 'User', cell: (l) => l.username },
            { title: 'Resource', cell: (l) => l.resource },
            { title: 'Type', cell: (l) => l.resource_type ?? '' },
            { title: 'Operation', cell: (l) => l.operation },
            { title: 'Time', cell: (l) => time(l.op_time) },
          ],
          items,
          caption,
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });
  replace(container, results);
  void load(1);
}
