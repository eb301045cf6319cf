/**
 * The registry the end-to-end suite exercises: Berth by default, or CNCF Distribution with
 * `E2E_REGISTRY=distribution` (to check the tests themselves against a known-good registry).
 */
import { startBerthServer } from './berth-server.js';
import { startDistribution } from './distribution-server.js';
import type { RegistryKind, RegistryServer } from './registry-server.js';

export function registryUnderTestKind(): RegistryKind {
  const wanted = process.env.E2E_REGISTRY ?? 'berth';
  if (wanted !== 'berth' && wanted !== 'distribution') {
    throw new Error(`E2E_REGISTRY must be "berth" or "distribution", not "${wanted}"`);
  }
  return wanted;
}

export function startRegistryUnderTest(): Promise<RegistryServer> {
  return registryUnderTestKind() === 'distribution' ? startDistribution() : startBerthServer();
}
