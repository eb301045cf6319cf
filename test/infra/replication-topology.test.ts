import { describe, expect, test } from 'vitest';
import { replicationLinks, topologyProblems } from '../../infra/config/replication-topology.js';

const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];

describe('region topology', () => {
  test('a star: every replica feeds from the primary', () => {
    expect(topologyProblems(regions, { primary: 'us-east-1' })).toEqual([]);
    expect(replicationLinks(regions, { primary: 'us-east-1' })).toEqual([
      { from: 'us-east-1', to: 'ap-southeast-2' },
      { from: 'us-east-1', to: 'eu-west-1' },
    ]);
  });

  test('a chain: us-east-1 → eu-west-1 → ap-southeast-2, parents first', () => {
    const chain = { primary: 'us-east-1', upstreams: { 'ap-southeast-2': 'eu-west-1', 'eu-west-1': 'us-east-1' } };
    expect(topologyProblems(regions, chain)).toEqual([]);
    expect(replicationLinks(regions, chain)).toEqual([
      { from: 'us-east-1', to: 'eu-west-1' },
      { from: 'eu-west-1', to: 'ap-southeast-2' },
    ]);
  });

  test.each([
    [{ primary: 'sa-east-1' }, /primary "sa-east-1" is not one of/],
    [{ primary: 'us-east-1', upstreams: { 'eu-west-1': 'sa-east-1' } }, /"sa-east-1" is not one of/],
    [{ primary: 'us-east-1', upstreams: { 'us-east-1': 'eu-west-1' } }, /must not give the primary/],
    [{ primary: 'us-east-1', upstreams: { 'eu-west-1': 'ap-southeast-2', 'ap-southeast-2': 'eu-west-1' } }, /cycle/],
  ])('refuses %j', (topology, message) => {
    expect(topologyProblems(regions, topology).join('\n')).toMatch(message);
  });
});
