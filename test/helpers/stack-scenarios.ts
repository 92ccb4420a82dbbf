/**
 * Stack and cost scenarios for the replay recorder: an `up` approved by a second operator, a TTL
 * that destroys the stack through the queue workflow, and a cost analysis. Each returns the
 * workflow executions to record, by history name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import { freePort } from './ports';
import { waitForRunEnd, type TestStack } from './test-stack';

/** A workflow execution to record: its id and, for a reused id, the execution. */
export interface Recorded {
  workflowId: string;
  executionId?: string;
}

const runPath = (runId: string) => `/v1/runs/${encodeURIComponent(runId)}`;

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A `local-site` stack: an `up` that waits for approval and is approved by another operator, then a
 * one-second TTL whose timer destroys it through the queue workflow.
 */
export async function stackScenario(stack: TestStack): Promise<Record<string, Recorded>> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-record-site-'));
  try {
    const config = { dir: join(dir, 'site'), message: 'recorded', port: await freePort() };
    const declared = await stack.request('PUT', '/v1/stacks/rec/site', { program: 'local-site', config });
    if (declared.status >= 300) throw new Error(`declaring the stack: ${JSON.stringify(declared.body)}`);
    const up = await stack.request('POST', '/v1/stacks/rec/site/operations', {
      operation: 'up',
      approval: { timeoutSeconds: 600 },
    });
    if (up.status !== 202) throw new Error(`up: ${JSON.stringify(up.body)}`);
    const runId: string = up.body.runId;
    await waitUntil('approval wait', async () => {
      const { body } = await stack.request('GET', runPath(runId));
      return body.stack?.phase === 'waiting-approval' ? true : undefined;
    });
    const approver = await stack.mintToken('operator', { principal: 'approver' });
    const approved = await stack.request(
      'POST',
      '/v1/stacks/rec/site/approve',
      { comment: 'recorded' },
      {
        authorization: `Bearer ${approver.token}`,
      },
    );
    if (approved.status !== 200) throw new Error(`approve: ${JSON.stringify(approved.body)}`);
    const ended = await waitForRunEnd(stack, encodeURIComponent(runId), 120_000);
    if (ended.status !== 'completed') throw new Error(`up ended ${ended.status}: ${JSON.stringify(ended)}`);
    const upExecution = (await stack.client.workflow.getHandle(runId).describe()).runId;

    await stack.request('PUT', '/v1/stacks/rec/site', { program: 'local-site', config, ttlSeconds: 1 });
    const ttlId = 'stack-ttl:rec/site';
    await stack.client.workflow.getHandle(ttlId).result();
    const queued = await waitUntil('TTL destroy queue run', async () => {
      const query = `WorkflowType = 'stackQueueWorkflow' AND WorkflowId STARTS_WITH 'stack-ttl-destroy:rec/site'`;
      for await (const w of stack.client.workflow.list({ query })) return w;
      return undefined;
    });
    return {
      'stack-up-approved': { workflowId: runId, executionId: upExecution },
      'stack-ttl-destroy': { workflowId: ttlId },
      'stack-queue-destroy': { workflowId: queued.workflowId, executionId: queued.runId },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A cost analysis of yesterday, started as the schedule would start it. */
export async function costScenario(stack: TestStack): Promise<Record<string, Recorded>> {
  const workflowId = `${stack.prefix}-record-cost`;
  const handle = await stack.client.workflow.start('costAnalysisWorkflow', {
    workflowId,
    taskQueue: orchestratorTaskQueue(stack.prefix),
    args: [{ activityTaskQueue: nodeClassTaskQueue(stack.prefix, 'a') }],
  });
  await handle.result();
  return { 'cost-analysis': { workflowId } };
}
