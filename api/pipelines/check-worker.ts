/** Worker-thread entry: validates pipeline files for `POST /v1/pipelines/check`, so a large one never holds the event loop. */
import { parentPort } from 'node:worker_threads';
import type { NodeClass } from '../../config/node-classes';
import { parsePipelineYaml, PipelineSpecError } from './parse-pipeline';
import type { PipelineIssue } from './pipeline-issue';

/** What the API posts: the file, its name for messages, and the node classes it may use. */
export interface CheckRequest {
  yaml: string;
  source: string;
  nodeClasses: NodeClass[];
}

/** What the thread answers: the file's issues (none when valid), or the fault that stopped the check. */
export type CheckOutcome = { valid: boolean; issues: PipelineIssue[] } | { fault: string };

parentPort?.on('message', (request: CheckRequest) => {
  let outcome: CheckOutcome = { valid: true, issues: [] };
  try {
    parsePipelineYaml(request.yaml, request.source, request.nodeClasses);
  } catch (err) {
    outcome = err instanceof PipelineSpecError ? { valid: false, issues: err.issues } : { fault: String(err) };
  }
  parentPort!.postMessage(outcome);
});
