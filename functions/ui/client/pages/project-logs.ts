import { list, seg } from '../api.js';
import { emptyState, loadInto, pager, table } from '../components.js';
import { h, replace } from '../dom.js';
import { time } from '../format.js';
import type { Project } from '../types.js';

const pageSize = 15;

interface AuditLog {
  id: number;
  username: string;
  resource: string;
  resource_type?: string;
  operation: string;
  op_time: string;
}

/** A project's audit log, newest first as the API pages it. */
export function logsTab(container: HTMLElement, project: Project): void {
  const results = h('div');
  const load = (page: number) =>
    loadInto(results, async () => {
      const { items, total } = await list<AuditLog>(`/projects/${seg(project.name)}/logs`, page, pageSize);
      if (total === 0) return emptyState('Nothing has happened in this project yet.');
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
          'Logs',
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });
  replace(container, results);
  void load(1);
}
