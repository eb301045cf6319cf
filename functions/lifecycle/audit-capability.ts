import type { Capability } from '../capability.js';
import type { RegistryEvent } from '../core/jobs.js';
import { ConditionFailedError, type Item, type Table } from '../ports/table.js';
import { indexPartitions, partitions } from '../table-layout.js';

/**
 * Audit record of one registry event. Keyed by the event's own id and time, so a redelivered
 * event finds its record already written and changes nothing; gsi1 lists every repository's
 * events oldest first for the audit log view.
 *
 *   pk audit#<repository>   sk <at>#<event id>   action, repository, digest, tag, actor, at
 *                           gsi1: audit / <at>#<event id>
 */
export function auditItem(event: RegistryEvent): Item {
  const key = `${event.at}#${event.id}`;
  return {
    pk: `${partitions.audit}${event.repository}`,
    sk: key,
    gsi1pk: indexPartitions.audit,
    gsi1sk: key,
    id: event.id,
    action: event.action,
    repository: event.repository,
    digest: event.digest,
    at: event.at,
    ...(event.tag === undefined ? {} : { tag: event.tag }),
    ...(event.mediaType === undefined ? {} : { mediaType: event.mediaType }),
    ...(event.actor === undefined ? {} : { actor: event.actor }),
  };
}

/** Writes an audit record of every registry event, idempotently. */
export function auditCapability(deps: { table: Table }): Capability {
  return {
    name: 'audit',
    onEvent: async (event) => {
      try {
        await deps.table.put(auditItem(event), { exists: false });
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    },
  };
}
