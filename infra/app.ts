import { App } from 'aws-cdk-lib';
import { addBerthStages } from './berth-app.js';

/** The CDK app (`cdk.json` runs it): the environments of config/stages.ts. */
const app = new App();
addBerthStages(app);
app.synth();
