import type { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app-env.js';
import type { Capability, JobHandlers } from '../capability.js';
import type { Config } from '../config.js';
import type { JobHandler } from '../ports/job-queue.js';
import { scanningName } from '../scanning/scan-service.js';
import type { ScanningCapability } from '../scanning/scanning-capability.js';
import { scanningJobs } from '../scanning/scanning-jobs.js';
import { dispatch } from '../worker/dispatch.js';
import { type CompositionOptions, capabilitiesOf, composeApp } from './compose-app.js';

/**
 * Job handlers that load what only jobs need (a tar reader, a zip reader, the CVSS calculator),
 * by the capability they belong to. They are added here, where jobs run, and never reach the
 * modules compose-app.ts imports.
 */
const jobsOnlyWorkersRun: Record<string, (capability: Capability) => JobHandlers> = {
  [scanningName]: (capability) => scanningJobs(capability as ScanningCapability),
};

/** Adds every capability's worker-side job handlers to it (a kind is owned by one capability). */
export function withWorkerJobs(capabilities: Capability[]): Capability[] {
  for (const capability of capabilities) {
    const more = jobsOnlyWorkersRun[capability.name]?.(capability);
    if (more) capability.jobs = { ...capability.jobs, ...more };
  }
  return capabilities;
}

/** Every capability with all its job handlers: what a process that runs jobs dispatches to. */
export function workerCapabilitiesOf(deps: AppDeps, options: CompositionOptions = {}): Capability[] {
  return withWorkerJobs(capabilitiesOf(deps, options));
}

/**
 * The composition root of the processes that run jobs (the worker function, the Node server, the
 * tests): the app as compose-app.ts makes it, plus the worker's dispatch over every job handler.
 */
export async function compose(
  deps: AppDeps,
  config: Config,
  options: CompositionOptions = {},
): Promise<{ app: Hono<AppEnv>; worker: JobHandler; capabilities: Capability[] }> {
  const { app, capabilities } = await composeApp(deps, config, options);
  withWorkerJobs(capabilities);
  return { app, worker: dispatch(capabilities, deps.table, deps.now), capabilities };
}
