import { createHash } from 'node:crypto';
import type { RegistryEvent } from '../core/jobs.js';
import { projectOf } from '../identity/stores/project-store.js';
import { ConditionFailedError, type Item, type Table } from '../ports/table.js';
import { indexPartitions, partitions } from '../table-layout.js';

/**
 * The audit log: one record per registry event (push, delete, pull, tag removal: written by the
 * audit capability from the events), per login, and per change made through the management API.
 * Records expire after the configured number of days (TTL), so the log bounds itself.
 *
 *   pk audit#<project>   sk <op time>#<record id>   operation, resource, resource_type, username,
 *                                                   op_time, project (registry events also keep
 *                                                   action, repository, digest, tag, actor, count)
 *                        gsi1: audit / <op time>#<record id>   (every record, oldest first)
 *
 * Records of nothing inside a project (logins, users, system robots) go to the partition
 * `audit#` + `systemPartition`, a name no project can have.
 */
export interface AuditEntry {
  operation: string;
  resource: string;
  resource_type: string;
  username: string;
  /** The project the record belongs to (its `/projects/{p}/logs`), if any. */
  project?: string;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  op_time: string;
}

/** Project names are lower-case and start with a letter or digit: this one is none of them. */
const systemPartition = '_system';

/** Harbor's audit record ids are numbers: 53 bits of the record's own id, the same on every read. */
function numericId(id: string): number {
  return Number.parseInt(createHash('sha256').update(id).digest('hex').slice(0, 13), 16);
}

/** Harbor's operation and resource of a registry event. */
function describe(event: RegistryEvent): Omit<AuditEntry, 'username' | 'project'> {
  const resource = event.tag ? `${event.repository}:${event.tag}` : `${event.repository}@${event.digest}`;
  switch (event.action) {
    case 'push':
      return { operation: 'create', resource, resource_type: 'artifact' };
    case 'delete':
      return { operation: 'delete', resource: `${event.repository}@${event.digest}`, resource_type: 'artifact' };
    case 'untag':
      return { operation: 'delete', resource, resource_type: 'tag' };
    case 'pull':
      return { operation: 'pull', resource, resource_type: 'artifact' };
  }
}

export class AuditLog {
  constructor(
    private readonly table: Table,
    /** Days a record is kept; 0 keeps records forever. */
    private readonly retentionDays: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private item(id: string, at: string, entry: AuditEntry, extra: Record<string, string | number> = {}): Item {
    const sk = `${at}#${id}`;
    const expiresAt = this.retentionDays > 0 ? Math.floor(Date.parse(at) / 1000) + this.retentionDays * 86_400 : undefined;
    return {
      pk: `${partitions.audit}${entry.project ?? systemPartition}`,
      sk,
      gsi1pk: indexPartitions.audit,
      gsi1sk: sk,
      id,
      num: numericId(id),
      op_time: at,
      operation: entry.operation,
      resource: entry.resource,
      resource_type: entry.resource_type,
      username: entry.username,
      ...(entry.project ? { project: entry.project } : {}),
      ...extra,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
  }

  /** Records one registry event, idempotently: a redelivered event finds its record and adds none. */
  async recordEvent(event: RegistryEvent): Promise<void> {
    const entry: AuditEntry = {
      ...describe(event),
      username: event.actor ?? (event.action === 'pull' ? 'anonymous' : 'system'),
      project: projectOf(event.repository),
    };
    const extra = {
      action: event.action,
      repository: event.repository,
      digest: event.digest,
      ...(event.tag === undefined ? {} : { tag: event.tag }),
      ...(event.actor === undefined ? {} : { actor: event.actor }),
      ...(event.count === undefined ? {} : { count: event.count }),
    };
    try {
      await this.table.put(this.item(event.id, event.at, entry, extra), { exists: false });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** Records something that just happened (a login, a management API change). */
  async record(entry: AuditEntry): Promise<void> {
    await this.table.put(this.item(crypto.randomUUID(), this.now().toISOString(), entry));
  }

  /**
   * Records of one project (or of everything when `project` is undefined), newest first, within
   * `filter`'s time range; the other conditions of the filter are applied by the caller's
   * `matches`. Reads every record in the range: the log's TTL keeps that bounded.
   */
  async list(project: string | undefined, filter: AuditFilter = []): Promise<AuditRecord[]> {
    const range = filter.find((f) => f.key === 'op_time' && f.kind === 'range') as Extract<AuditCondition, { kind: 'range' }> | undefined;
    const items = project === undefined
      ? await this.table.query(indexPartitions.audit, { index: 'gsi1', reverse: true, ...(range?.to ? { after: `${range.to}\uffff` } : {}) })
      : await this.table.query(`${partitions.audit}${project}`, { reverse: true, ...(range?.to ? { after: `${range.to}\uffff` } : {}) });
    return items.map(present).filter((record) => matches(record, filter));
  }
}

function present(item: Item): AuditRecord {
  return {
    id: item.num as number,
    operation: item.operation as string,
    resource: item.resource as string,
    resource_type: item.resource_type as string,
    username: item.username as string,
    op_time: item.op_time as string,
    ...(typeof item.project === 'string' ? { project: item.project } : {}),
  };
}

/**
 * Harbor's `q` query: comma-separated `key=value` (exact), `key=~value` (contains),
 * `key=[from~to]` (range, either end may be empty) and `key={a b c}` (any of).
 */
export type AuditCondition =
  | { key: string; kind: 'exact'; value: string }
  | { key: string; kind: 'fuzzy'; value: string }
  | { key: string; kind: 'range'; from?: string; to?: string }
  | { key: string; kind: 'any'; values: string[] };

export type AuditFilter = AuditCondition[];

export const auditQueryKeys = ['operation', 'resource', 'resource_type', 'username', 'op_time'] as const;

/** A `q` that cannot be read; its message says which part. */
export class AuditQueryError extends Error {}

/**
 * Harbor writes times as `2021-01-02 15:04:05` (UTC); ISO 8601 is taken too. A time given to the
 * second means that whole second: as an upper bound it reaches to the second's last millisecond.
 */
function isoTime(raw: string, end: 'from' | 'to'): string {
  const text = raw.trim();
  const time = Date.parse(/^\d{4}-\d{2}-\d{2} /.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  if (Number.isNaN(time)) throw new AuditQueryError(`op_time ${raw} is not a time (use 2006-01-02 15:04:05)`);
  const wholeSecond = !/\d{2}:\d{2}:\d{2}\.\d/.test(text);
  return new Date(end === 'to' && wholeSecond ? time + 999 : time).toISOString();
}

export function parseAuditQuery(q: string | null | undefined): AuditFilter {
  if (!q) return [];
  const conditions: AuditFilter = [];
  // Commas inside [..] or {..} belong to the value.
  const parts = q.match(/(?:[^,[{]|\[[^\]]*\]|\{[^}]*\})+/g) ?? [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new AuditQueryError(`"${part}" is not key=value`);
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    if (!(auditQueryKeys as readonly string[]).includes(key)) throw new AuditQueryError(`unknown query key ${key} (known: ${auditQueryKeys.join(', ')})`);
    if (raw.startsWith('[') && raw.endsWith(']')) {
      const [from = '', to = ''] = raw.slice(1, -1).split('~');
      if (key !== 'op_time') throw new AuditQueryError('only op_time takes a range');
      conditions.push({ key, kind: 'range', ...(from.trim() ? { from: isoTime(from, 'from') } : {}), ...(to.trim() ? { to: isoTime(to, 'to') } : {}) });
    } else if (raw.startsWith('{') && raw.endsWith('}')) {
      conditions.push({ key, kind: 'any', values: raw.slice(1, -1).split(/\s+/).filter(Boolean) });
    } else if (raw.startsWith('~')) {
      conditions.push({ key, kind: 'fuzzy', value: raw.slice(1) });
    } else {
      conditions.push({ key, kind: 'exact', value: raw });
    }
  }
  return conditions;
}

export function matches(record: AuditRecord, filter: AuditFilter): boolean {
  return filter.every((condition) => {
    const value = String(record[condition.key as keyof AuditRecord] ?? '');
    switch (condition.kind) {
      case 'exact':
        return value === condition.value;
      case 'fuzzy':
        return value.includes(condition.value);
      case 'any':
        return condition.values.includes(value);
      case 'range':
        return (condition.from === undefined || value >= condition.from) && (condition.to === undefined || value <= condition.to);
    }
  });
}
