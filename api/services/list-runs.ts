/** Lists runs from Temporal visibility, filtered and paginated with an opaque cursor. */
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { createHash } from 'node:crypto';
import {
  RUN_KINDS,
  kindSearchAttribute,
  labelsSearchAttribute,
  nameSearchAttribute,
  type RunKind,
} from '../../workflows/definitions';
import { ApiError } from '../errors';
import type { ApiDeps } from './deps';
import { runSummary, STATUS_TO_TEMPORAL, type RunStatus, type RunSummary } from './run-views';

/** Filters and page of a run list. */
export interface ListRunsQuery {
  status?: Exclude<RunStatus, 'unknown'>;
  kind?: RunKind;
  name?: string;
  label?: string;
  limit: number;
  cursor?: string;
}

/** A page of runs and the cursor of the next one. */
export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

/**
 * Lists Capstan's runs in the order Temporal's visibility keeps them: running runs first, newest
 * start first, then finished runs, most recently finished first (the Web UI's order).
 */
export async function listRuns(deps: ApiDeps, query: ListRunsQuery): Promise<RunPage> {
  const kinds = query.kind ? [query.kind] : [...RUN_KINDS];
  const clauses = [`${kindSearchAttribute.name} IN (${kinds.map((k) => `'${k}'`).join(', ')})`];
  if (query.status) clauses.push(`ExecutionStatus = '${STATUS_TO_TEMPORAL[query.status]}'`);
  // The schema refuses quotes and backslashes, so the texts cannot leave their string literals.
  if (query.name) clauses.push(`${nameSearchAttribute.name} STARTS_WITH '${query.name}'`);
  if (query.label) clauses.push(`${labelsSearchAttribute.name} = '${query.label}'`);
  const visibilityQuery = clauses.join(' AND ');
  const response = await deps.client.workflowService.listWorkflowExecutions({
    namespace: deps.namespace,
    query: visibilityQuery,
    pageSize: query.limit,
    nextPageToken: query.cursor === undefined ? undefined : decodeCursor(query.cursor, visibilityQuery),
  });
  const runs = await Promise.all(
    (response.executions ?? []).map(async (raw) =>
      runSummary(await executionInfoFromRaw(raw, deps.client.options.loadedDataConverter, raw, deps.namespace)),
    ),
  );
  const token = response.nextPageToken;
  return { runs, nextCursor: token && token.length > 0 ? encodeCursor(Buffer.from(token), visibilityQuery) : null };
}

/** A cursor wraps Temporal's page token with the filter it belongs to, so a foreign or stale one is a clear 400. */
function encodeCursor(token: Buffer, visibilityQuery: string): string {
  return Buffer.from(JSON.stringify({ f: filterHash(visibilityQuery), t: token.toString('base64') })).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string, visibilityQuery: string): Buffer {
  let parsed: { f?: unknown; t?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { f?: unknown; t?: unknown };
  } catch {
    parsed = undefined;
  }
  if (typeof parsed?.t !== 'string' || parsed.f !== filterHash(visibilityQuery)) {
    throw new ApiError(400, 'invalid_request', 'query.cursor: not a nextCursor this API returned for these filters', [
      { field: 'query.cursor', message: 'not a nextCursor returned for these filters' },
    ]);
  }
  return Buffer.from(parsed.t, 'base64');
}

function filterHash(visibilityQuery: string): string {
  return createHash('sha256').update(visibilityQuery).digest('hex').slice(0, 16);
}
