import { afterAll, describe, expect, test } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { validateStageConfig } from '../../infra/config/stage-config.js';
import { defineStage } from '../../infra/config/stages.js';
import { envNames } from '../../infra/stacks/api-stack.js';
import { devLike, prodLike, removeAssemblies, synthStage, templates } from './synth.js';

afterAll(removeAssemblies);

const debian = 'https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip';
const npm = 'https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip';

function workersEnv(config: Parameters<typeof synthStage>[0], template: string): Record<string, unknown>[] {
  return Object.values(
    templates(synthStage(config)).get(template)!.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Berth (jobs worker|long jobs worker)') } }),
  ).map((fn) => fn.Properties.Environment.Variables as Record<string, unknown>);
}

describe('vulnerability data and scanning on AWS', () => {
  test('a stage that lists OSV exports has its workers fetch them on its schedule, and tells them the registry URL adapters pull from', () => {
    const env = workersEnv(defineStage({ ...prodLike, scanning: { vulnDbUrls: [debian, npm], vulnDbRefreshCron: '0 30 2 * * *' } }), 'Api-eu-west-1');
    expect(env).toHaveLength(2);
    for (const variables of env) {
      expect(variables[envNames.vulnDbUrl]).toBe(`${debian},${npm}`);
      expect(variables[envNames.vulnDbRefreshCron]).toBe('0 30 2 * * *');
      expect(variables[envNames.scanningRegistryUrl]).toBe('https://eu-west-1.registry.example.com');
    }
  });

  test('without a domain the URL is the API endpoint; without `scanning` nothing is fetched', () => {
    for (const variables of workersEnv(devLike, 'Api-eu-west-1')) {
      expect(variables[envNames.vulnDbUrl]).toBeUndefined();
      expect(JSON.stringify(variables[envNames.scanningRegistryUrl])).toContain('execute-api');
    }
  });

  test('a list that cannot work is refused at synth', () => {
    expect(() => validateStageConfig(defineStage({ ...devLike, scanning: { vulnDbUrls: [] } }))).toThrow(/at least one OSV export/);
    expect(() => validateStageConfig(defineStage({ ...devLike, scanning: { vulnDbUrls: ['http://example.com/all.zip'] } }))).toThrow(/not an https URL/);
    expect(() => validateStageConfig(defineStage({ ...devLike, scanning: { vulnDbUrls: [debian], vulnDbRefreshCron: 'every day' } }))).toThrow(/vulnDbRefreshCron/);
  });
});
