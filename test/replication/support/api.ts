import { expect } from 'vitest';
import type { TestBerth } from './berth.js';

function idOf(response: Response): number {
  return Number(response.headers.get('location')!.split('/').pop());
}

export async function createRegistry(berth: TestBerth, body: Record<string, unknown>): Promise<number> {
  const response = await berth.api('/registries', { method: 'POST', body: JSON.stringify({ type: 'harbor', insecure: true, ...body }) });
  expect(response.status, await response.clone().text()).toBe(201);
  return idOf(response);
}

export async function createPolicy(berth: TestBerth, body: Record<string, unknown>): Promise<number> {
  const response = await berth.api('/replication/policies', { method: 'POST', body: JSON.stringify({ name: `policy-${Math.random().toString(36).slice(2)}`, ...body }) });
  expect(response.status, await response.clone().text()).toBe(201);
  return idOf(response);
}

export interface ExecutionView {
  id: number;
  status: string;
  status_text: string;
  total: number;
  failed: number;
  succeed: number;
  trigger: string;
}

export interface TaskView {
  id: number;
  status: string;
  status_text: string;
  src_resource: string;
  dst_resource: string;
  operation: string;
}

export async function startExecution(berth: TestBerth, policyId: number): Promise<number> {
  const response = await berth.api('/replication/executions', { method: 'POST', body: JSON.stringify({ policy_id: policyId }) });
  expect(response.status, await response.clone().text()).toBe(201);
  return idOf(response);
}

/** Polls the execution until it is no longer in progress (the worker runs in the same process). */
export async function finished(berth: TestBerth, id: number, timeoutMs = 60_000): Promise<ExecutionView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Polled in the store: an API call per poll would hash the admin password each time.
    const execution = await berth.replicator.executions.getExecution(id);
    const summary = execution && (await berth.replicator.executions.summary(execution));
    if (summary && summary.status !== 'InProgress') return (await (await berth.api(`/replication/executions/${id}`)).json()) as ExecutionView;
    if (Date.now() > deadline) throw new Error(`execution ${id} still in progress: ${JSON.stringify(summary)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function tasksOf(berth: TestBerth, executionId: number): Promise<TaskView[]> {
  return (await (await berth.api(`/replication/executions/${executionId}/tasks?page_size=100`)).json()) as TaskView[];
}

export async function logOf(berth: TestBerth, executionId: number, taskId: number): Promise<string> {
  return (await berth.api(`/replication/executions/${executionId}/tasks/${taskId}/log`)).text();
}

/** Runs a policy once and waits for the end. */
export async function replicate(berth: TestBerth, policyId: number): Promise<ExecutionView> {
  return finished(berth, await startExecution(berth, policyId));
}

/** Executions of a policy, newest first. */
export async function executionsOf(berth: TestBerth, policyId: number): Promise<ExecutionView[]> {
  return (await (await berth.api(`/replication/executions?policy_id=${policyId}&page_size=100`)).json()) as ExecutionView[];
}
