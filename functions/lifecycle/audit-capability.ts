import type { AppDeps } from '../app-env.js';
import type { Capability } from '../capability.js';
import type { Config } from '../config.js';
import { AuditLog } from './audit-log.js';

/** Days an audit record is kept when BERTH_AUDIT_RETENTION_DAYS is not set. */
export const defaultAuditRetentionDays = 180;

/**
 * The audit log as a capability: every registry event (push, tag removal, delete, pull) becomes a
 * record, idempotently (keyed by the event's id and time, see audit-log.ts). It also gives the
 * process its `deps.audit`, where logins and management API changes are recorded.
 */
export function auditCapability(deps: Pick<AppDeps, 'table' | 'now' | 'audit'>, config: Partial<Config> = {}): Capability {
  const days = config.BERTH_AUDIT_RETENTION_DAYS === undefined ? defaultAuditRetentionDays : Number(config.BERTH_AUDIT_RETENTION_DAYS);
  const log = (deps.audit ??= new AuditLog(deps.table, days, deps.now));
  return {
    name: 'audit',
    onEvent: (event) => log.recordEvent(event),
  };
}
