import { Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { parseAuthorization } from '../credentials.js';
import { loginOrThrow } from '../login.js';
import { sessionPrincipal } from '../ui/session-auth.js';
import { apiError } from './api-context.js';
import { artifactRoutes } from './artifacts.js';
import { auditChanges, auditLogRoutes } from './audit-logs.js';
import { configurationRoutes } from './configurations.js';
import { gcRoutes } from './gc.js';
import { immutableTagRuleRoutes } from './immutable-tag-rules.js';
import { memberRoutes } from './members.js';
import { openApiDocument } from './openapi.js';
import { projectRoutes } from './projects.js';
import { quotaRoutes } from './quotas.js';
import { repositoryRoutes } from './repositories.js';
import { registryRoutes } from './registries.js';
import { replicationExecutionRoutes } from './replication-executions.js';
import { replicationPolicyRoutes } from './replication-policies.js';
import { retentionRoutes } from './retentions.js';
import { robotRoutes } from './robots.js';
import { searchRoutes } from './search.js';
import { scanArtifactRoutes } from './scan-artifacts.js';
import { scanSystemRoutes } from './scan-system.js';
import { scannerRoutes } from './scanners.js';
import { trustKeyRoutes } from './trust-keys.js';
import { userRoutes } from './users.js';
import { webhookRoutes } from './webhooks.js';

/**
 * `/api/v2.0`: the part of Harbor's REST API that identity needs, with Harbor's paths, payloads
 * and error shape so its clients and scripts work. Callers authenticate with Basic credentials
 * (users or robots), as Harbor's API accepts, or with the portal's session cookie (plus the CSRF
 * token on state changes); no credentials means anonymous.
 */
export function apiRoutes(): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.use(async (c, next) => {
    const identity = c.get('deps').identity!;
    const credentials = parseAuthorization(c.req.header('authorization'));
    if (credentials.scheme === 'basic') {
      c.set('principal', await loginOrThrow(c, identity, credentials.login, credentials.password, () => apiError(401, 'UNAUTHORIZED', 'invalid username or password')));
    } else if (credentials.scheme !== 'none') {
      throw apiError(401, 'UNAUTHORIZED', 'use Basic credentials');
    } else {
      const principal = await sessionPrincipal(c);
      if (principal) c.set('principal', principal);
    }
    await next();
  });
  api.use(auditChanges());
  api.get('/openapi.json', (c) => c.json(openApiDocument()));
  api.route('/projects', projectRoutes());
  api.route('/projects', memberRoutes());
  api.route('/projects', trustKeyRoutes());
  api.route('/users', userRoutes());
  api.route('/robots', robotRoutes());
  api.route('/', configurationRoutes());
  api.route('/', artifactRoutes());
  api.route('/', repositoryRoutes());
  api.route('/', searchRoutes());
  api.route('/', gcRoutes());
  api.route('/', quotaRoutes());
  api.route('/', immutableTagRuleRoutes());
  api.route('/projects', scanArtifactRoutes());
  api.route('/scanners', scannerRoutes());
  api.route('/', scanSystemRoutes());
  api.route('/registries', registryRoutes());
  api.route('/replication/policies', replicationPolicyRoutes());
  api.route('/replication/executions', replicationExecutionRoutes());
  api.route('/', auditLogRoutes());
  api.route('/retentions', retentionRoutes());
  api.route('/projects', webhookRoutes());
  api.notFound((c) => c.json({ errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] }, 404));
  return api;
}
