import { expect, test } from 'vitest';
import { HashBudget } from '../../functions/identity/hash-budget.js';
import { addressKey, resolveClientAddress } from '../../functions/routes/client-address.js';

test('an address gets its capacity at once, then one unit per refill period; right passwords give theirs back', () => {
  let now = 1_000_000;
  const budget = new HashBudget(() => new Date(now), { capacity: 3, refillSeconds: 2, maxAddresses: 100 });
  expect([budget.take('a'), budget.take('a'), budget.take('a'), budget.take('a')]).toEqual([true, true, true, false]);
  expect(budget.retryAfter('a')).toBe(2);
  expect(budget.take('b')).toBe(true);
  now += 1000;
  expect(budget.take('a')).toBe(false);
  now += 1000;
  expect(budget.take('a')).toBe(true);
  expect(budget.take('a')).toBe(false);
  budget.giveBack('a');
  expect(budget.take('a')).toBe(true);
  now += 60_000;
  expect([budget.take('a'), budget.take('a'), budget.take('a'), budget.take('a')]).toEqual([true, true, true, false]);
});

test('remembers a bounded number of addresses, forgetting those at rest first', () => {
  let now = 0;
  const budget = new HashBudget(() => new Date(now), { capacity: 2, refillSeconds: 10, maxAddresses: 2 });
  budget.take('busy');
  budget.take('busy');
  budget.take('idle');
  now += 10_000;
  budget.take('third');
  // 'idle' had refilled and was forgotten; 'busy' (still empty) was kept.
  expect(budget.take('busy')).toBe(true);
  expect(budget.take('busy')).toBe(false);
});

test('X-Forwarded-For counts only through trusted hops', () => {
  expect(resolveClientAddress('10.0.0.2', '203.0.113.7', 0)).toBe('10.0.0.2');
  expect(resolveClientAddress('10.0.0.2', '1.1.1.1, 203.0.113.7', 1)).toBe('203.0.113.7');
  expect(resolveClientAddress('10.0.0.2', '1.1.1.1, 203.0.113.7, 10.0.0.9', 2)).toBe('203.0.113.7');
  expect(resolveClientAddress('10.0.0.2', 'not-an-address', 1)).toBe('10.0.0.2');
  expect(resolveClientAddress(undefined, undefined, 0)).toBe('unknown');
});

test('addresses are keyed as IPv4, or by their IPv6 /64', () => {
  expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
  expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
  expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
  expect(addressKey('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64');
  expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  expect(addressKey('unknown')).toBe('unknown');
});
