/** Queries, search attributes and memo keys shared by the workflows and the API. */
import { defineQuery } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { DagStateView } from './contracts/dag-run';
import type { TaskState } from './contracts/task-run';

/** Live state of a running task workflow. */
export const taskStateQuery = defineQuery<TaskState>('taskState');

/** Kind of run (one of RUN_KINDS), for filtering lists. */
export const kindSearchAttribute = defineSearchAttributeKey('CapstanKind', SearchAttributeType.KEYWORD);
/** Node class a task runs on. */
export const nodeClassSearchAttribute = defineSearchAttributeKey('CapstanNodeClass', SearchAttributeType.KEYWORD);

/** The run's name, for listing runs by name (a prefix) across every page. */
export const nameSearchAttribute = defineSearchAttributeKey('CapstanName', SearchAttributeType.KEYWORD);
/** The run's labels as `key=value` and `key` entries, for listing runs by label across every page. */
export const labelsSearchAttribute = defineSearchAttributeKey('CapstanLabels', SearchAttributeType.KEYWORD_LIST);

/** Search attributes the Temporal server must know, as `temporal server start-dev --search-attribute` takes them. */
export const REQUIRED_SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'KeywordList'> = {
  [kindSearchAttribute.name]: 'Keyword',
  [nodeClassSearchAttribute.name]: 'Keyword',
  [nameSearchAttribute.name]: 'Keyword',
  [labelsSearchAttribute.name]: 'KeywordList',
};

/** The `CapstanLabels` entries of a run's labels: `key=value` to find a value, `key` to find any value. */
export function labelEntries(labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {}).flatMap(([key, value]) => [`${key}=${value}`, key]);
}

/** Kinds of run Capstan starts. */
export const RUN_KINDS = ['task', 'dag', 'pipeline', 'stack'] as const;
/** One kind of run. */
export type RunKind = (typeof RUN_KINDS)[number];

/** Memo written at start so that lists show a run without querying it. */
export interface RunMemo {
  kind: RunKind;
  name?: string;
  nodeClass?: string;
  /** The host a task run is aimed at, so its detail can say when no worker of that host polls. */
  host?: string;
  labels?: Record<string, string>;
  /** The run this one retries from failure. */
  retryOf?: string;
  /** The principal (API token owner) that started the run; absent on runs started before tokens existed. */
  startedBy?: string;
  /** Hash of the request that started the run, to tell a retried request from a reused key. */
  requestHash?: string;
}

/** Live state of a DAG run: counts and a page of node states (a 10,000-node answer would not fit a payload). */
export const dagStateQuery = defineQuery<DagStateView, [DagStateQueryInput?]>('dagState');

/** Which nodes `dagStateQuery` returns. */
export interface DagStateQueryInput {
  offset?: number;
  limit?: number;
}
