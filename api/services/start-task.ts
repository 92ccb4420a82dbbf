/** Starts task runs, with Idempotency-Key handling: one key, one run. */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { createHash, randomUUID } from 'node:crypto';
import { nodeClassTaskQueue, orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import type { TaskSpec } from '../../workflows/contracts/task-spec';
import { kindSearchAttribute, nodeClassSearchAttribute, type RunMemo } from '../../workflows/definitions';
import type { taskWorkflow } from '../../workflows/task-workflow';
import { ApiError } from '../errors';
import type { ApiDeps } from './deps';

/** What starting a task answered: the run, and whether this request created it. */
export interface StartedRun {
  runId: string;
  created: boolean;
}

/** Starts a validated task run (see parseTaskSpec), or returns the run an earlier request with the same idempotency key started. */
export async function startTask(deps: ApiDeps, spec: TaskSpec, idempotencyKey?: string): Promise<StartedRun> {
  const requestHash = sha256(canonicalJson(spec));
  const runId = idempotencyKey === undefined ? `task-${randomUUID()}` : `task-${sha256(idempotencyKey).slice(0, 32)}`;
  const memo: RunMemo = { kind: 'task', name: spec.name, nodeClass: spec.nodeClass, labels: spec.labels, requestHash };
  try {
    await deps.client.workflow.start<typeof taskWorkflow>('taskWorkflow', {
      workflowId: runId,
      taskQueue: orchestratorTaskQueue(deps.taskQueuePrefix),
      args: [{
        spec,
        policy: { taskQueue: nodeClassTaskQueue(deps.taskQueuePrefix, spec.nodeClass), ...deps.taskPolicy },
      }],
      // An id is never reused, so a replayed request finds the run even after it finished.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      memo: { ...memo },
      typedSearchAttributes: [
        { key: kindSearchAttribute, value: 'task' },
        { key: nodeClassSearchAttribute, value: spec.nodeClass },
      ],
      staticSummary: `task ${spec.name ?? firstLine(spec.command ?? spec.script ?? '')} on ${spec.nodeClass}`,
    });
    return { runId, created: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError) || idempotencyKey === undefined) throw err;
    const existing = await deps.client.workflow.getHandle(runId).describe();
    if ((existing.memo as RunMemo | undefined)?.requestHash !== requestHash) {
      throw new ApiError(422, 'idempotency_key_reused', 'Idempotency-Key was already used for a different request body', [
        { field: 'Idempotency-Key', message: `already names run ${runId}` },
      ]);
    }
    return { runId, created: false };
  }
}

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
