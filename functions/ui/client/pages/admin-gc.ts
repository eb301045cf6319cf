import { get, list, post, put } from '../api.js';
import { act, emptyState, field, loadInto, pager, table } from '../components.js';
import { h, replace } from '../dom.js';
import { time } from '../format.js';

const pageSize = 15;

interface GcRun {
  id: number;
  job_kind?: string;
  job_status: string;
  creation_time?: string;
  update_time?: string;
  job_parameters?: string;
}

/** Administration: garbage collection, its schedule, a run now (or a dry run) and the history. */
export function gcSection(container: HTMLElement): void {
  const history = h('div');
  const schedule = h('div');
  const load = (page: number): Promise<void> =>
    loadInto(history, async () => {
      const { items, total } = await list<GcRun>('/system/gc', page, pageSize);
      if (total === 0) return emptyState('Garbage collection has not run yet.');
      return [
        table<GcRun>(
          [
            { title: 'ID', cell: (r) => r.id, class: 'num' },
            { title: 'Kind', cell: (r) => r.job_kind ?? '' },
            { title: 'Status', cell: (r) => r.job_status },
            { title: 'Parameters', cell: (r) => r.job_parameters ?? '' },
            { title: 'Started', cell: (r) => time(r.creation_time) },
            { title: 'Updated', cell: (r) => time(r.update_time) },
            { title: 'Log', cell: (r) => h('a', { href: `/api/v2.0/system/gc/${r.id}/log`, target: '_blank', rel: 'noopener' }, 'View log') },
          ],
          items,
          'Garbage collection runs',
        ),
        pager(total, page, pageSize, (next) => void load(next)),
      ];
    });
  void loadInto(schedule, async () => {
    const current = await get<{ schedule?: { type?: string; cron?: string } }>('/system/gc/schedule').catch((error: unknown) => {
      throw error;
    });
    const cron = h('input', { name: 'cron', value: current.schedule?.cron ?? '', placeholder: '0 0 2 * * *' });
    const untagged = h('input', { type: 'checkbox', name: 'delete_untagged' });
    const save: HTMLButtonElement = h('button', { type: 'button', onclick: () => act(save, async () => {
      const value = cron.value.trim();
      await put('/system/gc/schedule', { schedule: value ? { type: 'Custom', cron: value } : { type: 'None' }, parameters: { delete_untagged: untagged.checked } });
    }, 'Schedule saved.') }, 'Save schedule');
    const runNow = (dryRun: boolean) => {
      const button: HTMLButtonElement = h('button', { type: 'button', class: dryRun ? '' : 'primary', onclick: () => act(button, async () => {
        await post('/system/gc/schedule', { schedule: { type: 'Manual' }, parameters: { delete_untagged: untagged.checked, dry_run: dryRun } });
        await load(1);
      }, dryRun ? 'Dry run started.' : 'Garbage collection started.') }, dryRun ? 'Dry run' : 'Run now');
      return button;
    };
    return [
      h('p', null, `Current schedule: ${current.schedule?.type ?? 'None'}${current.schedule?.cron ? ` (${current.schedule.cron})` : ''}`),
      field('Cron schedule (empty: none)', cron),
      field('Delete untagged artifacts', untagged),
      h('div', { class: 'row-actions' }, save, runNow(false), runNow(true)),
    ];
  });
  replace(container, h('section', { class: 'card' }, h('h2', null, 'Schedule'), schedule), h('h2', null, 'History'), history);
  void load(1);
}
