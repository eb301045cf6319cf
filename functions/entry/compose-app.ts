import type { Hono } from 'hono';
import { createApp } from '../app.js';
import type { AppDeps, AppEnv } from '../app-env.js';
import type { Capability } from '../capability.js';
import type { Config } from '../config.js';
import { type IdentityNotice, identityFromConfig } from '../identity/from-config.js';
import { artifactsCapability } from '../lifecycle/artifacts-capability.js';
import { auditCapability } from '../lifecycle/audit-capability.js';
import { ImmutableRules } from '../lifecycle/immutable-rules.js';
import { pullStatsCapability } from '../lifecycle/pull-stats.js';
import { retentionCapability } from '../lifecycle/retention-capability.js';
import { webhookCapability } from '../lifecycle/webhook-capability.js';
import { registryCapability } from '../registry/registry-capability.js';
import { topologyFromConfig } from '../replication/topology.js';
import { replicationCapability } from '../replication/replication-capability.js';
import { schedulesCapability } from '../schedules/schedules-capability.js';
import { scanningCapability } from '../scanning/scanning-capability.js';
import { trustCapability } from '../trust/trust-capability.js';

/** What differs between runtimes in the wiring below. */
export interface CompositionOptions {
  /** Periodic work of this runtime, run on every scheduler tick (the outbox sweep on AWS). */
  alsoOnTick?: (() => Promise<unknown>)[];
  /** Where identity's notices go (the generated admin password); default the logger, at warn. */
  notice?: IdentityNotice;
  /** The capabilities' own settings (config.ts); default every default. */
  config?: Partial<Config>;
}

/**
 * Every capability of the registry, in the order their event consumers run. The one list the
 * Node server, the Lambda API, the workers and the upload service all share; where jobs run,
 * entry/compose.ts adds the worker-side handlers to it.
 */
export function capabilitiesOf(deps: AppDeps, options: CompositionOptions = {}): Capability[] {
  const config = options.config ?? {};
  return [
    registryCapability(deps),
    auditCapability(deps, config),
    artifactsCapability(deps),
    pullStatsCapability(deps, config),
    webhookCapability(deps, config),
    // Retention never removes a tag an immutable tag rule holds.
    retentionCapability(deps, { isImmutable: async (repository, tag) => (await new ImmutableRules(deps.table).refusal(repository, tag)) !== null }),
    schedulesCapability(deps, options.alsoOnTick),
    scanningCapability(deps, options.config ?? {}),
    trustCapability(deps),
    replicationCapability(deps),
  ];
}

/**
 * The composition root of the processes that serve requests: identity from the settings (when
 * auth is on), the capabilities, and from them the app. It leaves out the job handlers that load
 * libraries only jobs use (entry/compose.ts adds them), so the API function's bundle carries
 * none of that code. Entry points build `deps` (the adapters of their backend) and call this or
 * `compose`; nothing else wires the registry together.
 */
export async function composeApp(
  deps: AppDeps,
  config: Config,
  options: CompositionOptions = {},
): Promise<{ app: Hono<AppEnv>; capabilities: Capability[] }> {
  deps.config.trustedProxyHops ??= config.BERTH_TRUSTED_PROXY_HOPS ?? 0;
  deps.config.replicationKey ??= config.BERTH_REPLICATION_KEY;
  deps.config.replicationTopology ??= topologyFromConfig(config);
  if (config.BERTH_SESSION_HOURS) deps.config.sessionLifetimeSeconds ??= config.BERTH_SESSION_HOURS * 60 * 60;
  const identity = await identityFromConfig(deps.table, config, options.notice);
  if (identity) deps.identity = identity;
  const capabilities = capabilitiesOf(deps, { ...options, config });
  deps.capabilities = capabilities;
  return { app: createApp(deps), capabilities };
}
