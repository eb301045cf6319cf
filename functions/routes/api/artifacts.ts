import type { Context } from 'hono';
import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { OciError } from '../../core/errors.js';
import { isValidTag } from '../../core/reference.js';
import { subjectOf } from '../../identity/principal.js';
import { Artifacts, type ArtifactOptions } from '../../lifecycle/artifacts.js';
import { Manifests, parseReference } from '../../registry/manifests.js';
import type { Item } from '../../ports/table.js';
import { apiError, paginate, parseBody, principalOf, projectFor } from './api-context.js';
import { repositoryParam } from './repositories.js';

const base = '/projects/:project_name_or_id/repositories/:repository_name/artifacts';

function flag(c: Context<AppEnv>, name: string, fallback: boolean): boolean {
  const value = c.req.query(name);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') throw apiError(400, 'BAD_REQUEST', `${name} must be true or false`);
  return value === 'true';
}

function optionsOf(c: Context<AppEnv>): ArtifactOptions {
  return {
    withTag: flag(c, 'with_tag', true),
    withLabel: flag(c, 'with_label', false),
    withScanOverview: flag(c, 'with_scan_overview', false),
    withAccessory: flag(c, 'with_accessory', false),
  };
}

function actorOf(c: Context<AppEnv>): { actor?: string } {
  const subject = subjectOf(principalOf(c));
  return subject ? { actor: subject } : {};
}

/** The manifest item a `{reference}` (digest or tag) names, or 404. */
async function manifestItem(c: Context<AppEnv>, repository: string, items: Item[]): Promise<Item> {
  const raw = c.req.param('reference') ?? '';
  let reference;
  try {
    reference = parseReference(raw, 'read');
  } catch {
    throw apiError(404, 'NOT_FOUND', `artifact ${repository}:${raw} not found`);
  }
  const digest = 'tag' in reference ? (items.find((item) => item.sk === `tag#${reference.tag}`)?.digest as string | undefined) : reference.digest.value;
  const item = digest && items.find((i) => i.sk === `manifest#${digest}`);
  if (!item) throw apiError(404, 'NOT_FOUND', `artifact ${repository}:${raw} not found`);
  return item;
}

/** The registry's refusals in Harbor's shape (immutable tags: 412). */
export async function asApiError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OciError && error.code === 'DENIED') throw apiError(error.status === 412 ? 412 : 403, error.status === 412 ? 'PRECONDITION' : 'FORBIDDEN', error.message);
    if (error instanceof OciError && error.status < 500) throw apiError(error.status === 404 ? 404 : 400, error.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', error.message);
    throw error;
  }
}

export const tagSchema = z.object({ name: z.string().check(z.minLength(1)) });

/**
 * Harbor's artifact endpoints: list and get (with tags, references, accessories, scan overview),
 * delete, and the tags of an artifact. Writes go through the registry's manifest store, so they
 * record their events and obey immutable tags like a push does.
 */
export function artifactRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get(base, async (c) => {
    const project = await projectFor(c, 'read-project');
    const repository = repositoryParam(c, project);
    const artifacts = new Artifacts(c.get('deps'));
    const items = await artifacts.partition(repository);
    if (!items.some((item) => item.sk === 'meta')) throw apiError(404, 'NOT_FOUND', `repository ${repository} not found`);
    const page = paginate(c, artifacts.topLevel(items));
    return c.json(await Promise.all(page.map((item) => artifacts.view(repository, item, items, project.id, optionsOf(c)))));
  });

  routes.get(`${base}/:reference`, async (c) => {
    const project = await projectFor(c, 'read-project');
    const repository = repositoryParam(c, project);
    const artifacts = new Artifacts(c.get('deps'));
    const items = await artifacts.partition(repository);
    return c.json(await artifacts.view(repository, await manifestItem(c, repository, items), items, project.id, optionsOf(c)));
  });

  routes.delete(`${base}/:reference`, async (c) => {
    const project = await projectFor(c, 'delete-artifact');
    const repository = repositoryParam(c, project);
    const items = await new Artifacts(c.get('deps')).partition(repository);
    const item = await manifestItem(c, repository, items);
    const manifests = new Manifests(c.get('deps'));
    const digest = item.sk.slice('manifest#'.length);
    await asApiError(() => manifests.delete(repository, parseReference(digest, 'read'), actorOf(c)));
    return c.body(null, 200);
  });

  routes.get(`${base}/:reference/tags`, async (c) => {
    const project = await projectFor(c, 'read-project');
    const repository = repositoryParam(c, project);
    const artifacts = new Artifacts(c.get('deps'));
    const items = await artifacts.partition(repository);
    const item = await manifestItem(c, repository, items);
    const digest = item.sk.slice('manifest#'.length);
    const tags = await artifacts.tags(repository, digest, items, 0);
    return c.json(paginate(c, tags));
  });

  // Harbor: a new tag on an existing artifact (moving it when it names another: immutable tags refuse).
  routes.post(`${base}/:reference/tags`, async (c) => {
    const project = await projectFor(c, 'push');
    const repository = repositoryParam(c, project);
    const body = await parseBody(c, tagSchema);
    if (!isValidTag(body.name)) throw apiError(400, 'BAD_REQUEST', `invalid tag name ${body.name}`);
    const artifacts = new Artifacts(c.get('deps'));
    const items = await artifacts.partition(repository);
    const item = await manifestItem(c, repository, items);
    if (items.some((i) => i.sk === `tag#${body.name}`)) throw apiError(409, 'CONFLICT', `tag ${body.name} already exists in ${repository}`);
    const manifests = new Manifests(c.get('deps'));
    const stored = await manifests.resolve(repository, parseReference(item.sk.slice('manifest#'.length), 'read'));
    if (!stored) throw apiError(404, 'NOT_FOUND', 'artifact not found');
    const bytes = await manifests.body(stored);
    await asApiError(() => manifests.put(repository, { tag: body.name }, bytes, stored.mediaType, actorOf(c)));
    c.header('Location', `/api/v2.0${base.replace(':project_name_or_id', project.name).replace(':repository_name', c.req.param('repository_name') ?? '')}/${stored.digest}/tags/${body.name}`);
    return c.body(null, 201);
  });

  routes.delete(`${base}/:reference/tags/:tag_name`, async (c) => {
    const project = await projectFor(c, 'delete-artifact');
    const repository = repositoryParam(c, project);
    const items = await new Artifacts(c.get('deps')).partition(repository);
    const item = await manifestItem(c, repository, items);
    const tag = c.req.param('tag_name') ?? '';
    const current = items.find((i) => i.sk === `tag#${tag}`);
    if (!current || current.digest !== item.sk.slice('manifest#'.length)) throw apiError(404, 'NOT_FOUND', `tag ${tag} not found on this artifact`);
    await asApiError(() => new Manifests(c.get('deps')).delete(repository, { tag }, actorOf(c)));
    return c.body(null, 200);
  });

  return routes;
}
