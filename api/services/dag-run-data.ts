/** What a DAG run was asked to do and where each node stands, read back from Temporal. */
import type { DagStateView, DagWorkflowInput, NodeState } from '../../workflows/contracts/dag-run';
import { dagStateQuery } from '../../workflows/definitions';
import { isGrpcServiceError } from '@temporalio/client';
import { ApiError, runNotFound } from '../errors';
import type { ApiDeps } from './deps';

/**
 * The input of the run's latest execution (a continued execution carries the same spec). Only the
 * first event is read: the whole history of a large DAG's execution is thousands of events.
 */
export async function dagInputOf(deps: ApiDeps, runId: string): Promise<DagWorkflowInput> {
  const input = await runInputOf(deps, runId);
  if (input === undefined) throw new ApiError(409, 'not_a_dag', `run "${runId}" has no DAG input`);
  return input as DagWorkflowInput;
}

/** The argument a run's workflow was started with (from its first history event); undefined when it had none. */
export async function runInputOf(deps: ApiDeps, runId: string): Promise<unknown> {
  let history;
  try {
    ({ history } = await deps.client.workflowService.getWorkflowExecutionHistory({
      namespace: deps.namespace,
      execution: { workflowId: runId },
      maximumPageSize: 1,
    }));
  } catch (err) {
    // The raw service call is not mapped to WorkflowNotFoundError like the client's; gRPC 5 is NOT_FOUND.
    if (isGrpcServiceError(err) && err.code === 5) throw runNotFound(runId);
    throw err;
  }
  const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  // Through the client's codecs: a large input (a big DAG's spec) is stored gzipped.
  const { payloadCodecs, payloadConverter } = deps.client.options.loadedDataConverter;
  let decoded = [payload];
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return payloadConverter.fromPayload(decoded[0]!);
}

/** Every node's state, paged through the DAG state query (it also answers for runs that have ended). */
export async function allNodeStates(
  deps: ApiDeps,
  runId: string,
): Promise<Array<{ key: string; task: string } & NodeState>> {
  const handle = deps.client.workflow.getHandle(runId);
  const nodes: DagStateView['nodes'] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await handle.query(dagStateQuery, { offset, limit: 1000 });
    nodes.push(...page.nodes);
    if (nodes.length >= page.total || page.nodes.length === 0) return nodes;
  }
}
