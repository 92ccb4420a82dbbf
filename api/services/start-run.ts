/** Starting any kind of run with Idempotency-Key handling: one key, one run, and a reused key with another body is refused. */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy, type Priority, type SearchAttributePair } from '@temporalio/common';
import { createHash, randomUUID } from 'node:crypto';
import { orchestratorTaskQueue } from '../../workflows/contracts/node-class';
import {
  kindSearchAttribute,
  labelEntries,
  labelsSearchAttribute,
  nameSearchAttribute,
  type RunKind,
  type RunMemo,
} from '../../workflows/definitions';
import { withDatabase } from '../auth/database-errors';
import { actingPrincipal } from '../auth/principal';
import { forgetRun, recordRun, setRunStarter } from '../../db/stores/run-store';
import { ApiError } from '../errors';
import { timed } from '../server-timing';
import type { ApiDeps } from './deps';

/** What starting a run answered: the run, and whether this request created it. */
export interface StartedRun {
  runId: string;
  created: boolean;
}

/** One run to start. */
export interface RunRequest {
  kind: RunKind;
  workflowType: string;
  /** What the request asked for, hashed to tell a retried request from a reused key. */
  request: unknown;
  args: unknown[];
  memo: Omit<RunMemo, 'kind' | 'requestHash' | 'startedBy'>;
  searchAttributes?: SearchAttributePair[];
  summary: string;
  /** Becomes part of the run id (`dag-nightly-…`), so ids say what they are. */
  idHint?: string;
  /** The run's Temporal priority (its fairness key): its workflow tasks are dispatched by it, and its activities inherit it. */
  priority?: Priority;
}

/** The search attributes that let `GET /v1/runs` filter by name and label over every run, not one page. */
export function listingAttributes(memo: Pick<RunMemo, 'name' | 'labels'>): SearchAttributePair[] {
  const labels = labelEntries(memo.labels);
  return [
    ...(memo.name ? [{ key: nameSearchAttribute, value: memo.name }] : []),
    ...(labels.length > 0 ? [{ key: labelsSearchAttribute, value: labels }] : []),
  ];
}

/**
 * Starts a run as the acting principal, or returns the run an earlier request with the same
 * idempotency key started. Who started it goes into the memo and the `runs` table, written first:
 * a run never exists without its row.
 */
export async function startRun(deps: ApiDeps, run: RunRequest, idempotencyKey?: string): Promise<StartedRun> {
  const startedBy = actingPrincipal()?.name;
  // Refuse rather than start an anonymous run: reaching here outside an authenticated request is a wiring bug.
  if (startedBy === undefined) throw new Error('startRun needs an acting principal (see api/auth/principal.ts)');
  const requestHash = sha256(canonicalJson(run.request));
  const hint = run.idHint ? `${slug(run.idHint)}-` : '';
  const runId = `${run.kind}-${hint}${idempotencyKey === undefined ? randomUUID() : sha256(idempotencyKey).slice(0, 32)}`;
  const memo: RunMemo = { kind: run.kind, ...run.memo, startedBy, requestHash };
  const recorded = await timed('runs', () =>
    withDatabase('recording the run', () =>
      recordRun(deps.db, { runId, kind: run.kind, name: run.memo.name, labels: run.memo.labels, startedBy }),
    ),
  );
  try {
    await timed('start', () =>
      deps.client.workflow.start(run.workflowType, {
        workflowId: runId,
        taskQueue: orchestratorTaskQueue(deps.taskQueuePrefix),
        args: run.args,
        // An id is never reused, so a replayed request finds the run even after it finished.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        memo: { ...memo },
        typedSearchAttributes: [
          { key: kindSearchAttribute, value: run.kind },
          ...listingAttributes(run.memo),
          ...(run.searchAttributes ?? []),
        ],
        staticSummary: run.summary,
        ...(run.priority ? { priority: run.priority } : {}),
      }),
    );
    return { runId, created: true };
  } catch (err) {
    // Other errors keep the row: a timed-out start may still have happened, and a row without a run is the lesser harm.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const existing = await deps.client.workflow.getHandle(runId).describe();
    const existingMemo = existing.memo as RunMemo | undefined;
    // The run was there already, so a row this request wrote may name the wrong starter: another request with the
    // same key (on another API process) started it after this one wrote the row, or an older Capstan started it before
    // runs were recorded. The row is kept (the run exists) and made to name who started it.
    if (recorded) {
      const starter = existingMemo?.startedBy;
      await (starter === undefined ? forgetRun(deps.db, runId) : setRunStarter(deps.db, runId, starter)).catch(
        () => undefined,
      );
    }
    if (idempotencyKey === undefined) throw err;
    if (existingMemo?.requestHash !== requestHash) {
      throw new ApiError(
        422,
        'idempotency_key_reused',
        'Idempotency-Key was already used for a different request body',
        [{ field: 'Idempotency-Key', message: `already names run ${runId}` }],
      );
    }
    return { runId, created: false };
  }
}

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'run'
  );
}
