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

/** Administration: the whole registry's audit log (Harbor's `/audit-logs`), pages of it. */
export function auditSection(container: HTMLElement): void {
  const results = h('div');
  const load = (page: number): Promise<void> =>
    loadInto(results, async () => {
      const { items, total } = await list<AuditLog>('/audit-logs', page, pageSize);
      if (total === 0) return emptyState('Nothing recorded yet.');
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
          'Audit log',
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });
  replace(container, results);
  void load(1);
}
