import * as z from 'zod/mini';
import { immutableRuleSchema } from '../../lifecycle/immutable-rules.js';
import { tagSchema } from './artifacts.js';
import { configurationsSchema, ldapPingSchema } from './configurations.js';
import { gcScheduleSchema } from './gc.js';
import { quotaUpdateSchema } from './quotas.js';
import { projectMemberSchema, roleRequestSchema } from './members.js';
import { projectReqSchema, projectUpdateSchema } from './projects.js';
import { registryCreateSchema, registryPingSchema, registryUpdateSchema } from './registries.js';
import { startExecutionSchema } from './replication-executions.js';
import { policySchema } from './replication-policies.js';
import { robotCreateSchema, robotSecretSchema, robotUpdateSchema } from './robots.js';
import { cveAllowlistSchema, scanScheduleSchema } from './scan-system.js';
import { scannerRegistrationSchema } from './scanners.js';
import { trustKeyReqSchema } from './trust-keys.js';
import { retentionPolicySchema } from '../../lifecycle/retention-policies.js';
import { webhookPolicySchema } from '../../lifecycle/webhook-policies.js';
import { retentionExecutionSchema, retentionStopSchema } from './retentions.js';
import { passwordReqSchema, sysadminFlagSchema, userCreationSchema, userProfileSchema } from './users.js';

/** Request bodies, generated from the very zod schemas the routes validate with. */
const bodies = {
  ProjectReq: projectReqSchema,
  ProjectUpdate: projectUpdateSchema,
  ProjectMember: projectMemberSchema,
  RoleRequest: roleRequestSchema,
  UserCreationReq: userCreationSchema,
  UserProfile: userProfileSchema,
  PasswordReq: passwordReqSchema,
  SysAdminFlag: sysadminFlagSchema,
  RobotCreate: robotCreateSchema,
  RobotUpdate: robotUpdateSchema,
  RobotSec: robotSecretSchema,
  Configurations: configurationsSchema,
  LdapConf: ldapPingSchema,
  Tag: tagSchema,
  GcSchedule: gcScheduleSchema,
  QuotaUpdate: quotaUpdateSchema,
  ImmutableRule: immutableRuleSchema,
  ScannerRegistrationReq: scannerRegistrationSchema,
  ScanAllSchedule: scanScheduleSchema,
  CVEAllowlist: cveAllowlistSchema,
  TrustKeyReq: trustKeyReqSchema,
  Registry: registryCreateSchema,
  RegistryUpdate: registryUpdateSchema,
  RegistryPing: registryPingSchema,
  ReplicationPolicy: policySchema,
  StartReplicationExecution: startExecutionSchema,
  RetentionPolicy: retentionPolicySchema,
  RetentionExecutionReq: retentionExecutionSchema,
  RetentionStop: retentionStopSchema,
  WebhookPolicy: webhookPolicySchema,
} as const;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';
interface Op {
  summary: string;
  body?: keyof typeof bodies;
  ok: number;
  params?: string[];
  query?: string[];
}

const errorSchema = {
  type: 'object',
  properties: {
    errors: {
      type: 'array',
      items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] },
    },
  },
};

const ops: Record<string, Partial<Record<Method, Op>>> = {
  '/projects': {
    get: { summary: 'List the projects the caller can see', ok: 200, query: ['name', 'public', 'owner', 'page', 'page_size'] },
    head: { summary: 'Whether a project name is taken', ok: 200, query: ['project_name'] },
    post: { summary: 'Create a project (the creator becomes its project admin)', body: 'ProjectReq', ok: 201 },
  },
  '/projects/{project_name_or_id}': {
    get: { summary: 'Get a project', ok: 200, params: ['project_name_or_id'] },
    put: { summary: 'Update a project (metadata.public)', body: 'ProjectUpdate', ok: 200, params: ['project_name_or_id'] },
    delete: { summary: 'Delete a project, its members and robots', ok: 200, params: ['project_name_or_id'] },
  },
  '/projects/{project_name_or_id}/members': {
    get: { summary: 'List members', ok: 200, params: ['project_name_or_id'], query: ['entityname'] },
    post: { summary: 'Add a user or an LDAP group with a role (1 admin, 2 developer, 3 guest, 4 maintainer, 5 limited guest)', body: 'ProjectMember', ok: 201, params: ['project_name_or_id'] },
  },
  '/projects/{project_name_or_id}/members/{mid}': {
    get: { summary: 'Get a member', ok: 200, params: ['project_name_or_id', 'mid'] },
    put: { summary: "Change a member's role", body: 'RoleRequest', ok: 200, params: ['project_name_or_id', 'mid'] },
    delete: { summary: 'Remove a member', ok: 200, params: ['project_name_or_id', 'mid'] },
  },
  '/users': {
    get: { summary: 'List users (system admin)', ok: 200, query: ['username', 'page', 'page_size'] },
    post: { summary: 'Create a local user (system admin, db_auth mode)', body: 'UserCreationReq', ok: 201 },
  },
  '/users/current': { get: { summary: 'The calling user', ok: 200 } },
  '/users/{user_id}': {
    get: { summary: 'Get a user (self or system admin)', ok: 200, params: ['user_id'] },
    put: { summary: 'Update a profile', body: 'UserProfile', ok: 200, params: ['user_id'] },
    delete: { summary: 'Delete a user (system admin)', ok: 200, params: ['user_id'] },
  },
  '/users/{user_id}/password': { put: { summary: 'Change a password (self: old_password required)', body: 'PasswordReq', ok: 200, params: ['user_id'] } },
  '/users/{user_id}/sysadmin': { put: { summary: 'Grant or revoke system admin', body: 'SysAdminFlag', ok: 200, params: ['user_id'] } },
  '/robots': {
    get: { summary: 'List robots (q=Level=project,ProjectID=<id>)', ok: 200, query: ['q'] },
    post: { summary: 'Create a robot; the secret is in this response only', body: 'RobotCreate', ok: 201 },
  },
  '/robots/{robot_id}': {
    get: { summary: 'Get a robot', ok: 200, params: ['robot_id'] },
    put: { summary: 'Update a robot', body: 'RobotUpdate', ok: 200, params: ['robot_id'] },
    patch: { summary: 'Refresh (or set) the secret', body: 'RobotSec', ok: 200, params: ['robot_id'] },
    delete: { summary: 'Delete a robot', ok: 200, params: ['robot_id'] },
  },
  '/configurations': {
    get: { summary: 'Auth settings (system admin; secrets left out)', ok: 200 },
    put: { summary: 'Change auth settings: auth_mode and ldap_* (system admin)', body: 'Configurations', ok: 200 },
  },
  '/ldap/ping': { post: { summary: 'Check LDAP settings (system admin)', body: 'LdapConf', ok: 200 } },
  '/projects/{project_name_or_id}/repositories': { get: { summary: "A project's repositories (q, sort, paged)", ok: 200, params: ['project_name_or_id'], query: ['q', 'sort', 'page', 'page_size'] } },
  '/projects/{project_name_or_id}/repositories/{repository_name}': {
    get: { summary: 'A repository (name encoded twice: a%252Fb)', ok: 200, params: ['project_name_or_id', 'repository_name'] },
    delete: { summary: 'Delete a repository and every artifact in it', ok: 200, params: ['project_name_or_id', 'repository_name'] },
  },
  '/projects/{project_name_or_id}/repositories/{repository_name}/artifacts': {
    get: { summary: 'Artifacts of a repository', ok: 200, params: ['project_name_or_id', 'repository_name'], query: ['with_tag', 'with_label', 'with_scan_overview', 'with_accessory', 'page', 'page_size'] },
  },
  '/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}': {
    get: { summary: 'An artifact by digest or tag', ok: 200, params: ['project_name_or_id', 'repository_name', 'reference'], query: ['with_tag', 'with_label', 'with_scan_overview', 'with_accessory'] },
    delete: { summary: 'Delete an artifact (immutable tags refuse: 412)', ok: 200, params: ['project_name_or_id', 'repository_name', 'reference'] },
  },
  '/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/tags': {
    get: { summary: 'Tags of an artifact', ok: 200, params: ['project_name_or_id', 'repository_name', 'reference'] },
    post: { summary: 'Add a tag to an artifact', body: 'Tag', ok: 201, params: ['project_name_or_id', 'repository_name', 'reference'] },
  },
  '/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/tags/{tag_name}': {
    delete: { summary: 'Delete a tag (immutable tags refuse: 412)', ok: 200, params: ['project_name_or_id', 'repository_name', 'reference', 'tag_name'] },
  },
  '/repositories': { get: { summary: 'Every repository the caller may read', ok: 200, query: ['q', 'sort', 'page', 'page_size'] } },
  '/search': { get: { summary: 'Projects and repositories whose name contains q', ok: 200, query: ['q'] } },
  '/system/gc': { get: { summary: 'Garbage collection history (system admin)', ok: 200, query: ['page', 'page_size'] } },
  '/system/gc/{gc_id}': { get: { summary: 'One garbage collection run', ok: 200, params: ['gc_id'] } },
  '/system/gc/{gc_id}/log': { get: { summary: "A run's log (text)", ok: 200, params: ['gc_id'] } },
  '/system/gc/schedule': {
    get: { summary: 'The garbage collection schedule', ok: 200 },
    post: { summary: 'Run now (type Manual) or set a schedule; parameters dry_run, delete_untagged, grace_seconds', body: 'GcSchedule', ok: 201 },
    put: { summary: 'Change the schedule (Hourly, Daily, Weekly, Custom cron, None)', body: 'GcSchedule', ok: 200 },
  },
  '/quotas': { get: { summary: 'Storage quotas of projects (system admin)', ok: 200, query: ['reference', 'reference_id', 'sort', 'page', 'page_size'] } },
  '/quotas/{id}': {
    get: { summary: "A project's quota", ok: 200, params: ['id'] },
    put: { summary: 'Change the hard limit (system admin)', body: 'QuotaUpdate', ok: 200, params: ['id'] },
  },
  '/projects/{project_name_or_id}/immutabletagrules': {
    get: { summary: 'Immutable tag rules of a project', ok: 200, params: ['project_name_or_id'] },
    post: { summary: 'Add an immutable tag rule', body: 'ImmutableRule', ok: 201, params: ['project_name_or_id'] },
  },
  '/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}': {
    put: { summary: 'Change an immutable tag rule', body: 'ImmutableRule', ok: 200, params: ['project_name_or_id', 'immutable_rule_id'] },
    delete: { summary: 'Delete an immutable tag rule', ok: 200, params: ['project_name_or_id', 'immutable_rule_id'] },
  },
  '/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/scan': {
    post: { summary: 'Scan an artifact (repository_name URL-encoded twice)', ok: 202, params: ['project_name', 'repository_name', 'reference'] },
  },
  '/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/additions/vulnerabilities': {
    get: { summary: 'The vulnerability report, keyed by its media type', ok: 200, params: ['project_name', 'repository_name', 'reference'] },
  },
  '/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/additions/sbom': {
    get: { summary: 'The package inventory as SPDX 2.3 JSON', ok: 200, params: ['project_name', 'repository_name', 'reference'] },
  },
  '/system/scanAll/now': { post: { summary: 'Scan every image (system admin)', ok: 201 } },
  '/system/scanAll/schedule': {
    get: { summary: 'The scan-all schedule (system admin)', ok: 200 },
    post: { summary: 'Set the scan-all schedule', body: 'ScanAllSchedule', ok: 200 },
    put: { summary: 'Change the scan-all schedule (type None removes it)', body: 'ScanAllSchedule', ok: 200 },
  },
  '/system/CVEAllowlist': {
    get: { summary: 'The system CVE allowlist', ok: 200 },
    put: { summary: 'Replace the system CVE allowlist (system admin)', body: 'CVEAllowlist', ok: 200 },
  },
  '/scanners': {
    get: { summary: 'Scanner registrations, the built-in one first (system admin)', ok: 200 },
    post: { summary: 'Register a Pluggable Scanner API v1.2 adapter', body: 'ScannerRegistrationReq', ok: 201 },
  },
  '/scanners/ping': { post: { summary: "Check an adapter's metadata before registering it", body: 'ScannerRegistrationReq', ok: 200 } },
  '/scanners/{registration_id}': {
    get: { summary: 'Get a registration', ok: 200, params: ['registration_id'] },
    put: { summary: 'Change a registration', body: 'ScannerRegistrationReq', ok: 200, params: ['registration_id'] },
    patch: { summary: 'Make it the default scanner ({"is_default": true})', ok: 200, params: ['registration_id'] },
    delete: { summary: 'Remove a registration', ok: 200, params: ['registration_id'] },
  },
  '/scanners/{registration_id}/metadata': { get: { summary: "The adapter's metadata", ok: 200, params: ['registration_id'] } },
  '/projects/{project_name_or_id}/trust/keys': {
    get: { summary: "The project's trusted signing keys (project admin)", ok: 200, params: ['project_name_or_id'], query: ['page', 'page_size'] },
    post: { summary: 'Trust a cosign public key or a Notation trust anchor certificate with its signer identity (project admin)', body: 'TrustKeyReq', ok: 201, params: ['project_name_or_id'] },
  },
  '/projects/{project_name_or_id}/trust/keys/{name}': {
    delete: { summary: 'Stop trusting a key (project admin)', ok: 200, params: ['project_name_or_id', 'name'] },
  },
  '/registries': {
    get: { summary: 'List remote registries (system admin; secrets answered as *****)', ok: 200, query: ['q', 'name', 'page', 'page_size'] },
    post: { summary: 'Add a remote registry (harbor or docker-registry); its secret is sealed at rest', body: 'Registry', ok: 201 },
  },
  '/registries/ping': { post: { summary: 'Check that a registry answers with these credentials; a 400 says why not (DNS, TLS, 401...)', body: 'RegistryPing', ok: 200 } },
  '/registries/{id}': {
    get: { summary: 'Get a remote registry', ok: 200, params: ['id'] },
    put: { summary: 'Update a remote registry (access_secret ***** keeps the stored one)', body: 'RegistryUpdate', ok: 200, params: ['id'] },
    delete: { summary: 'Delete a remote registry no policy uses', ok: 200, params: ['id'] },
  },
  '/registries/{id}/info': { get: { summary: 'Filters and triggers a registry supports', ok: 200, params: ['id'] } },
  '/replication/policies': {
    get: { summary: 'List replication policies (system admin)', ok: 200, query: ['q', 'name', 'page', 'page_size'] },
    post: { summary: 'Create a policy: src_registry (pull) or dest_registry (push), filters, trigger', body: 'ReplicationPolicy', ok: 201 },
  },
  '/replication/policies/{id}': {
    get: { summary: 'Get a replication policy', ok: 200, params: ['id'] },
    put: { summary: 'Replace a replication policy', body: 'ReplicationPolicy', ok: 200, params: ['id'] },
    delete: { summary: 'Delete a replication policy with no running execution', ok: 200, params: ['id'] },
  },
  '/replication/executions': {
    get: { summary: 'List executions, newest first', ok: 200, query: ['policy_id', 'status', 'trigger', 'page', 'page_size'] },
    post: { summary: 'Run a policy now', body: 'StartReplicationExecution', ok: 201 },
  },
  '/replication/executions/{id}': {
    get: { summary: 'Get an execution with its task counts', ok: 200, params: ['id'] },
    put: { summary: 'Stop an execution', ok: 200, params: ['id'] },
  },
  '/replication/executions/{id}/tasks': { get: { summary: "An execution's tasks (one per repository, or one deletion)", ok: 200, params: ['id'], query: ['status', 'page', 'page_size'] } },
  '/replication/executions/{id}/tasks/{task_id}/log': { get: { summary: "A task's log (text/plain)", ok: 200, params: ['id', 'task_id'] } },
  '/audit-logs': { get: { summary: 'The audit log, newest first (system admin); q: operation, resource, resource_type, username, op_time=[from~to]', ok: 200, query: ['q', 'sort', 'page', 'page_size'] } },
  '/projects/{project_name_or_id}/logs': { get: { summary: "A project's audit log (guests and above)", ok: 200, params: ['project_name_or_id'], query: ['q', 'sort', 'page', 'page_size'] } },
  '/retentions': { post: { summary: "Create a project's tag retention policy (project admin); sets metadata retention_id", body: 'RetentionPolicy', ok: 201 } },
  '/retentions/metadatas': { get: { summary: 'Rule templates and selectors retention offers', ok: 200 } },
  '/retentions/{id}': {
    get: { summary: 'Get a retention policy', ok: 200, params: ['id'] },
    put: { summary: 'Replace a retention policy (rules, trigger)', body: 'RetentionPolicy', ok: 200, params: ['id'] },
    delete: { summary: 'Delete a retention policy and its schedule', ok: 200, params: ['id'] },
  },
  '/retentions/{id}/executions': {
    get: { summary: 'Runs of a policy, newest first', ok: 200, params: ['id'], query: ['page', 'page_size'] },
    post: { summary: 'Run a policy now, or as a dry run', body: 'RetentionExecutionReq', ok: 201, params: ['id'] },
  },
  '/retentions/{id}/executions/{eid}': { patch: { summary: 'Stop a run', body: 'RetentionStop', ok: 200, params: ['id', 'eid'] } },
  '/retentions/{id}/executions/{eid}/tasks': { get: { summary: 'One task per repository: total, retained', ok: 200, params: ['id', 'eid'] } },
  '/retentions/{id}/executions/{eid}/tasks/{tid}': { get: { summary: 'A task\'s log: what was (or would be) deleted and retained', ok: 200, params: ['id', 'eid', 'tid'] } },
  '/projects/{project_name_or_id}/webhook/policies': {
    get: { summary: 'Webhook policies (project admin)', ok: 200, params: ['project_name_or_id'], query: ['page', 'page_size'] },
    post: { summary: 'Create a webhook policy', body: 'WebhookPolicy', ok: 201, params: ['project_name_or_id'] },
  },
  '/projects/{project_name_or_id}/webhook/policies/{id}': {
    get: { summary: 'Get a webhook policy', ok: 200, params: ['project_name_or_id', 'id'] },
    put: { summary: 'Replace a webhook policy', body: 'WebhookPolicy', ok: 200, params: ['project_name_or_id', 'id'] },
    delete: { summary: 'Delete a webhook policy', ok: 200, params: ['project_name_or_id', 'id'] },
  },
  '/projects/{project_name_or_id}/webhook/jobs': { get: { summary: "A policy's deliveries with each attempt", ok: 200, params: ['project_name_or_id'], query: ['policy_id', 'status', 'page', 'page_size'] } },
  '/projects/{project_name_or_id}/webhook/events': { get: { summary: 'Event types and payload formats on offer', ok: 200, params: ['project_name_or_id'] } },
  '/projects/{project_name_or_id}/webhook/policies/{id}/executions': { get: { summary: 'Deliveries as executions (one per event)', ok: 200, params: ['project_name_or_id', 'id'] } },
  '/projects/{project_name_or_id}/webhook/policies/{id}/executions/{eid}/tasks': { get: { summary: 'One task per target', ok: 200, params: ['project_name_or_id', 'id', 'eid'] } },
  '/projects/{project_name_or_id}/webhook/policies/{id}/executions/{eid}/tasks/{tid}/log': { get: { summary: "A task's attempts", ok: 200, params: ['project_name_or_id', 'id', 'eid', 'tid'] } },
};

/** The OpenAPI 3.1 document served at `/api/v2.0/openapi.json`. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, methods] of Object.entries(ops)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(methods) as [Method, Op][]) {
      paths[path][method] = {
        summary: op.summary,
        parameters: [
          ...(op.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
          ...(op.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
        ],
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.body}` } } } } } : {}),
        responses: {
          [op.ok]: { description: 'success' },
          400: { description: 'invalid request', content: { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } } },
          401: { description: 'authentication required', content: { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } } },
          403: { description: 'forbidden', content: { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } } },
          404: { description: 'not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } } },
        },
      };
    }
  }
  const schemas: Record<string, unknown> = { Errors: errorSchema };
  for (const [name, schema] of Object.entries(bodies)) schemas[name] = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return {
    openapi: '3.1.0',
    info: { title: 'Berth management API (Harbor v2.0 compatible subset)', version: '2.0' },
    servers: [{ url: '/api/v2.0' }],
    components: { schemas, securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
    security: [{ basic: [] }, {}],
    paths,
  };
}
