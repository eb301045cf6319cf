import { type Context, Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { parseDigest } from '../../core/digest.js';
import { isValidTag } from '../../core/reference.js';
import type { Action } from '../../identity/rbac.js';
import { Manifests } from '../../registry/manifests.js';
import { vulnerabilityReportType } from '../../scanning/report.js';
import { scanningOf } from '../../scanning/scanning-capability.js';
import { spdxMediaType, spdxOf } from '../../scanning/spdx.js';
import { apiError, projectFor } from './api-context.js';

/**
 * The repository a Harbor path names: `{project}/{repository}`, where the repository part is
 * URL-encoded twice by clients (`a%252Fb` for `a/b`), so it is decoded once more here.
 */
function repositoryOf(c: Context<AppEnv>, project: string): string {
  const raw = c.req.param('repository_name') ?? '';
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw apiError(400, 'BAD_REQUEST', 'repository_name is not valid percent-encoding');
  }
  return `${project}/${name}`;
}

/** The artifact `{reference}` (a digest or a tag) names, with its project checked for `action`. */
async function artifactFor(c: Context<AppEnv>, action: Action): Promise<{ repository: string; digest: string }> {
  const project = await projectFor(c, action);
  const repository = repositoryOf(c, project.name);
  const reference = c.req.param('reference') ?? '';
  const manifests = new Manifests(c.get('deps'));
  const digest = parseDigest(reference);
  if (!digest && !isValidTag(reference)) throw apiError(400, 'BAD_REQUEST', `${reference} is neither a digest nor a tag`);
  const found = await manifests.resolve(repository, digest ? { digest } : { tag: reference });
  if (!found) throw apiError(404, 'NOT_FOUND', `artifact ${repository}:${reference} not found`);
  return { repository, digest: found.digest };
}

/**
 * Harbor's per-artifact scanning endpoints under
 * `/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}`. Starting a scan
 * takes push rights (Harbor gives scanning to developers and up); reading results takes pull.
 */
export function scanArtifactRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const base = '/:project_name_or_id/repositories/:repository_name/artifacts/:reference';

  routes.post(`${base}/scan`, async (c) => {
    const { repository, digest } = await artifactFor(c, 'push');
    const service = scanningOf(c.get('deps')).service;
    if (!(await service.scannable(repository, digest))) throw apiError(400, 'BAD_REQUEST', `artifact ${repository}@${digest} is not an image this scanner can read`);
    await service.request(repository, digest);
    return c.body(null, 202);
  });

  routes.get(`${base}/additions/vulnerabilities`, async (c) => {
    const { repository, digest } = await artifactFor(c, 'pull');
    const service = scanningOf(c.get('deps')).service;
    const state = await service.store.state(repository, digest);
    const report = state?.status === 'Success' ? await service.store.report(state) : null;
    // Harbor answers an empty object for an artifact without a report.
    return c.json(report ? { [vulnerabilityReportType]: report } : {});
  });

  routes.get(`${base}/additions/sbom`, async (c) => {
    const { repository, digest } = await artifactFor(c, 'pull');
    const service = scanningOf(c.get('deps')).service;
    const state = await service.store.state(repository, digest);
    const inventory = state ? await service.store.inventory(state) : null;
    if (!inventory) throw apiError(404, 'NOT_FOUND', `artifact ${repository}@${digest} has no SBOM: scan it with the built-in scanner first`);
    const document = spdxOf(inventory, repository, digest, new Date(state!.endTime ?? Date.now()), 'Berth-1.0');
    return c.body(JSON.stringify(document), 200, { 'content-type': spdxMediaType });
  });

  return routes;
}
