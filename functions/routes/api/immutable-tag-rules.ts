import { Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { ImmutableRules, immutableRuleSchema, invalidRule, presentRule } from '../../lifecycle/immutable-rules.js';
import { apiError, idParam, paginate, parseBody, projectFor } from './api-context.js';

const base = '/projects/:project_name_or_id/immutabletagrules';

/** Harbor's immutable tag rules of a project: read by its readers, changed by its admins. */
export function immutableTagRuleRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get(base, async (c) => {
    const project = await projectFor(c, 'read-project');
    const rules = await new ImmutableRules(c.get('deps').table).list(project.name);
    return c.json(paginate(c, rules).map((rule) => presentRule(rule, project.id)));
  });

  routes.post(base, async (c) => {
    const project = await projectFor(c, 'update-project');
    const body = await parseBody(c, immutableRuleSchema);
    const invalid = invalidRule(body);
    if (invalid) throw apiError(400, 'BAD_REQUEST', invalid);
    const rule = await new ImmutableRules(c.get('deps').table).save(project.name, body);
    c.header('Location', `/api/v2.0/projects/${project.id}/immutabletagrules/${rule.id}`);
    return c.body(null, 201);
  });

  routes.put(`${base}/:immutable_rule_id`, async (c) => {
    const project = await projectFor(c, 'update-project');
    const id = idParam(c, 'immutable_rule_id');
    const rules = new ImmutableRules(c.get('deps').table);
    const current = await rules.get(project.name, id);
    if (!current) throw apiError(404, 'NOT_FOUND', `immutable tag rule ${id} not found`);
    const body = await parseBody(c, immutableRuleSchema);
    const invalid = invalidRule(body);
    if (invalid) throw apiError(400, 'BAD_REQUEST', invalid);
    await rules.save(project.name, body, id);
    return c.body(null, 200);
  });

  routes.delete(`${base}/:immutable_rule_id`, async (c) => {
    const project = await projectFor(c, 'update-project');
    const id = idParam(c, 'immutable_rule_id');
    const rules = new ImmutableRules(c.get('deps').table);
    if (!(await rules.get(project.name, id))) throw apiError(404, 'NOT_FOUND', `immutable tag rule ${id} not found`);
    await rules.remove(project.name, id);
    return c.body(null, 200);
  });

  return routes;
}
