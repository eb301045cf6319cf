import { describe, expect, it } from 'vitest';
import { indexPartitions, partitions } from '../functions/table-layout.js';

function overlaps(prefixes: Record<string, string>): string[] {
  const entries = Object.entries(prefixes);
  const found: string[] = [];
  for (const [a, pa] of entries) {
    for (const [b, pb] of entries) {
      if (a !== b && pb.startsWith(pa)) found.push(`${a} (${pa}) is a prefix of ${b} (${pb})`);
    }
  }
  return found;
}

describe('table layout', () => {
  it('no partition prefix is a prefix of another', () => {
    expect(overlaps(partitions)).toEqual([]);
  });

  it('no index partition prefix is a prefix of another', () => {
    expect(overlaps(indexPartitions)).toEqual([]);
  });

  it('finds an overlap when there is one', () => {
    expect(overlaps({ a: 'user#', b: 'user#id#' })).toHaveLength(1);
  });

  it('every prefix is unique', () => {
    expect(new Set(Object.values(partitions)).size).toBe(Object.values(partitions).length);
    expect(new Set(Object.values(indexPartitions)).size).toBe(Object.values(indexPartitions).length);
  });
});
