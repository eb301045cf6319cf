import * as z from 'zod/mini';
import { nextId } from '../identity/stores/counter.js';
import { ConditionFailedError, type Item, type Table } from '../ports/table.js';
import { partitions } from '../table-layout.js';

/**
 * Webhook policies: a project's "tell these endpoints about these events". Harbor's model and
 * names. Ids come from the shared id counter (kind `webhook-policy`).
 *
 *   pk webhook-policy#<project>   sk policy#<id>   the policy (Harbor's fields, below)
 *   pk webhook-policy#<project>   sk name#<name>   claims the name within the project
 */
export const webhookEventTypes = [
  'PUSH_ARTIFACT',
  'PULL_ARTIFACT',
  'DELETE_ARTIFACT',
  'QUOTA_EXCEED',
  'QUOTA_WARNING',
  'SCANNING_COMPLETED',
  'SCANNING_FAILED',
  'SCANNING_STOPPED',
  'REPLICATION',
  'TAG_RETENTION',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

const address = z.string().check(
  z.refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, { message: 'address must be an http or https URL' }),
);

export const webhookTargetSchema = z.object({
  type: z._default(z.enum(['http']), 'http'),
  address,
  auth_header: z.optional(z.string().check(z.maxLength(4096))),
  skip_cert_verify: z._default(z.boolean(), false),
  payload_format: z._default(z.enum(['Default', 'CloudEvents']), 'Default'),
});

export const webhookPolicySchema = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(256)),
  description: z._default(z.string().check(z.maxLength(1024)), ''),
  targets: z.array(webhookTargetSchema).check(z.minLength(1), z.maxLength(10)),
  event_types: z.array(z.enum(webhookEventTypes)).check(z.minLength(1)),
  enabled: z._default(z.boolean(), true),
});

export type WebhookTarget = z.infer<typeof webhookTargetSchema>;
export type WebhookPolicyInput = z.infer<typeof webhookPolicySchema>;

export interface WebhookPolicy extends WebhookPolicyInput {
  id: number;
  project: string;
  projectId: number;
  creator: string;
  createdAt: string;
  updatedAt: string;
}

const pk = (project: string) => `${partitions.webhookPolicy}${project}`;
const policyKey = (project: string, id: number) => ({ pk: pk(project), sk: `policy#${id}` });
const nameKey = (project: string, name: string) => ({ pk: pk(project), sk: `name#${name}` });

function toPolicy(item: Item): WebhookPolicy {
  return item.policy as unknown as WebhookPolicy;
}

/** A policy of this name exists in the project already. */
export class WebhookNameTakenError extends Error {}

export class WebhookPolicies {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every policy of the project, by id. */
  async list(project: string): Promise<WebhookPolicy[]> {
    const items = await this.table.query(pk(project), { prefix: 'policy#' });
    return items.map(toPolicy).sort((a, b) => a.id - b.id);
  }

  async get(project: string, id: number): Promise<WebhookPolicy | null> {
    const item = await this.table.get(policyKey(project, id));
    return item ? toPolicy(item) : null;
  }

  /** Creates a policy; WebhookNameTakenError when the name is taken in the project. */
  async create(project: { name: string; id: number }, input: WebhookPolicyInput, creator: string): Promise<WebhookPolicy> {
    // A name still held by a policy of a deleted project of the same name is free again.
    const claim = await this.table.get(nameKey(project.name, input.name));
    const holder = claim ? await this.get(project.name, claim.id as number) : null;
    if (claim && (!holder || holder.projectId !== project.id)) {
      await this.table.transact([{ delete: nameKey(project.name, input.name), condition: { equals: { id: claim.id! } } }, { delete: policyKey(project.name, claim.id as number) }]);
    }
    const id = await nextId(this.table, 'webhook-policy');
    const at = this.now().toISOString();
    const policy: WebhookPolicy = { ...input, id, project: project.name, projectId: project.id, creator, createdAt: at, updatedAt: at };
    try {
      await this.table.transact([
        { put: { ...nameKey(project.name, input.name), id }, condition: { exists: false } },
        { put: { ...policyKey(project.name, id), policy: policy as unknown as Item[string] } },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new WebhookNameTakenError(`a webhook policy named ${input.name} exists already`);
      throw error;
    }
    return policy;
  }

  /** Replaces a policy's settings; null when it does not exist. */
  async update(current: WebhookPolicy, input: WebhookPolicyInput): Promise<WebhookPolicy> {
    const policy: WebhookPolicy = { ...current, ...input, updatedAt: this.now().toISOString() };
    const ops = [{ put: { ...policyKey(current.project, current.id), policy: policy as unknown as Item[string] }, condition: { exists: true } as const }];
    try {
      if (input.name === current.name) await this.table.transact(ops);
      else {
        await this.table.transact([
          ...ops,
          { delete: nameKey(current.project, current.name) },
          { put: { ...nameKey(current.project, input.name), id: current.id }, condition: { exists: false } },
        ]);
      }
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new WebhookNameTakenError(`a webhook policy named ${input.name} exists already`);
      throw error;
    }
    return policy;
  }

  async delete(policy: WebhookPolicy): Promise<void> {
    await this.table.transact([{ delete: policyKey(policy.project, policy.id) }, { delete: nameKey(policy.project, policy.name) }]);
  }
}
