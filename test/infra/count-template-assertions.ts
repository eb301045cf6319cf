import { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';

/**
 * CDK's Template checks (`hasResourceProperties`, `resourceCountIs`, ...) throw when they fail:
 * they are assertions, but vitest does not see them. Each call is counted as one here, so a test
 * made of them satisfies `expect.hasAssertions()` and a test that checks nothing still does not.
 */
const checks = ['hasResource', 'hasResourceProperties', 'resourceCountIs', 'resourcePropertiesCountIs', 'hasOutput', 'hasParameter', 'hasMapping', 'hasCondition', 'templateMatches', 'allResources', 'allResourcesProperties'] as const;

for (const name of checks) {
  const prototype = Template.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = prototype[name];
  if (typeof original !== 'function') continue;
  prototype[name] = function counted(this: Template, ...args: unknown[]) {
    const result = original.apply(this, args);
    expect.setState({ assertionCalls: expect.getState().assertionCalls + 1 });
    return result;
  };
}
