import type { Table } from '../ports/table.js';
import { scanKeys } from './keys.js';

/** Harbor's CVE allowlist: ids that never count against a policy, until `expires_at` (epoch seconds). */
export interface CveAllowlist {
  id: number;
  project_id: number;
  expires_at: number | null;
  items: { cve_id: string }[];
  creation_time: string;
  update_time: string;
}

/** The ids an allowlist lets through at `nowSeconds` (none once it has expired). */
export function allowedIds(list: Pick<CveAllowlist, 'expires_at' | 'items'> | null, nowSeconds: number): Set<string> {
  if (!list) return new Set();
  if (list.expires_at !== null && list.expires_at !== undefined && list.expires_at <= nowSeconds) return new Set();
  return new Set(list.items.map((item) => item.cve_id.trim()).filter((id) => id !== ''));
}

/** The system allowlist (`/api/v2.0/system/CVEAllowlist`), one item. */
export class AllowlistStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
  ) {}

  async system(): Promise<CveAllowlist> {
    const item = await this.table.get(scanKeys.config('allowlist'));
    if (item) return item.list as unknown as CveAllowlist;
    const epoch = new Date(0).toISOString();
    return { id: 1, project_id: 0, expires_at: null, items: [], creation_time: epoch, update_time: epoch };
  }

  async setSystem(change: { expires_at?: number | null; items: { cve_id: string }[] }): Promise<CveAllowlist> {
    const current = await this.system();
    const at = this.now().toISOString();
    const list: CveAllowlist = {
      ...current,
      expires_at: change.expires_at ?? null,
      items: [...new Map(change.items.map((i) => [i.cve_id.trim(), { cve_id: i.cve_id.trim() }])).values()],
      creation_time: current.creation_time === new Date(0).toISOString() ? at : current.creation_time,
      update_time: at,
    };
    await this.table.put({ ...scanKeys.config('allowlist'), list: list as never });
    return list;
  }
}
