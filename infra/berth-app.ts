import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EntryPoints } from './config/entry-points.js';
import type { StageConfig } from './config/stage-config.js';
import { stages as committedStages } from './config/stages.js';
import { BerthStage } from './stage/berth-stage.js';

export interface BerthAppOptions {
  /** The environments to choose from; the repository's stages unless a test says otherwise. */
  readonly stages?: readonly StageConfig[];
  readonly entryPoints?: EntryPoints;
}

/**
 * Adds one Stage per environment to the app. The `stages` context (`-c stages=dev,prod`) picks
 * some of them, so a deploy of one environment neither builds nor checks the others. cdk-nag's
 * AwsSolutions pack is registered on the app: synthesis fails on any finding that is not
 * acknowledged with a reason.
 */
export function addBerthStages(app: App, options: BerthAppOptions = {}): BerthStage[] {
  const available = options.stages ?? committedStages;
  const requested = (app.node.tryGetContext('stages') as string | undefined)
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const unknown = (requested ?? []).filter((name) => !available.some((stage) => stage.name === name));
  if (unknown.length > 0) {
    const known = available.map((stage) => stage.name).join(', ');
    throw new Error(`Unknown stage ${unknown.join(', ')} in -c stages; known stages: ${known}`);
  }
  const selected = requested ? available.filter((stage) => requested.includes(stage.name)) : available;
  const built = selected.map((config) => new BerthStage(app, { config, entryPoints: options.entryPoints }));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return built;
}
