/** Lists runs from Temporal visibility, filtered and paginated with an opaque cursor. */
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { RUN_KINDS, kindSearchAttribute, type RunKind } from '../../workflows/definitions';
import { ApiError } from '../errors';
import type { ApiDeps } from './deps';
import { runSummary, STATUS_TO_TEMPORAL, type RunStatus, type RunSummary } from './run-views';

/** Filters and page of a run list. */
export interface ListRunsQuery {
  status?: Exclude<RunStatus, 'unknown'>;
  kind?: RunKind;
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
  let nextPageToken: Buffer | undefined;
  if (query.cursor) {
    nextPageToken = Buffer.from(query.cursor, 'base64url');
    if (nextPageToken.length === 0) throw new ApiError(400, 'invalid_request', 'cursor is not a cursor this API returned', [{ field: 'cursor', message: 'malformed' }]);
  }
  const response = await deps.client.workflowService.listWorkflowExecutions({
    namespace: deps.namespace,
    query: clauses.join(' AND '),
    pageSize: query.limit,
    nextPageToken,
  });
  const runs = await Promise.all((response.executions ?? []).map(async (raw) =>
    runSummary(await executionInfoFromRaw(raw, deps.client.options.loadedDataConverter, raw, deps.namespace))));
  const token = response.nextPageToken;
  return { runs, nextCursor: token && token.length > 0 ? Buffer.from(token).toString('base64url') : null };
}
