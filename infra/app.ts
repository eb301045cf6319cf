import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stages } from './config/stages.js';
import { BerthStage } from './stage/berth-stage.js';

/**
 * The CDK app: one Stage per environment in config/stages.ts. `-c stages=dev,prod` synthesizes
 * only the named stages. cdk-nag's AwsSolutions pack runs on every synth and fails it on any
 * finding that is not acknowledged with a reason.
 */
const app = new App();
const only = (app.node.tryGetContext('stages') as string | undefined)?.split(',').map((s) => s.trim());
const selected = only ? stages.filter((stage) => only.includes(stage.name)) : stages;
if (only && selected.length !== only.length) {
  const known = stages.map((stage) => stage.name).join(', ');
  throw new Error(`Unknown stage in -c stages=${only.join(',')}; known stages: ${known}`);
}
for (const config of selected) new BerthStage(app, { config });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
