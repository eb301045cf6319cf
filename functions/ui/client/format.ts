/** Bytes as people read them (binary units, as docker and Harbor show sizes). */
export function bytes(size: number | undefined | null): string {
  if (size === undefined || size === null || !Number.isFinite(size) || size < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A timestamp in the reader's locale, or a dash for none (Harbor sends year 1 for "never"). */
export function time(value: string | undefined | null): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1971) return '—';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** `sha256:0123456789ab` from a full digest. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return hex ? `${algorithm}:${hex.slice(0, 12)}` : digest;
}

export const severityOrder = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown', 'None'] as const;

/** Rank of a severity name for sorting, most severe first; unknown names last. */
export function severityRank(severity: string | undefined): number {
  const index = severityOrder.findIndex((s) => s.toLowerCase() === (severity ?? '').toLowerCase());
  return index === -1 ? severityOrder.length : index;
}
