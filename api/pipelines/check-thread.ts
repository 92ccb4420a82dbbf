/**
 * One worker thread that validates pipeline files for `POST /v1/pipelines/check`: a 100 KB file costs
 * validation a quarter of a second, which must not stall every other request. Checks wait in line for
 * the thread; one that runs too long is stopped (the thread replaced) and refused.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ApiError } from '../errors';
import type { CheckOutcome, CheckRequest } from './check-worker';
import type { PipelineIssue } from './pipeline-issue';

/** How long one check may take before it is refused. */
export const CHECK_TIMEOUT_MS = 20_000;

let worker: Worker | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** The issues of a pipeline file, checked off the event loop, one file at a time. */
export function checkPipelineOffThread(request: CheckRequest): Promise<{ valid: boolean; issues: PipelineIssue[] }> {
  const next = queue.then(() => run(request));
  queue = next.catch(() => undefined);
  return next;
}

function run(request: CheckRequest): Promise<{ valid: boolean; issues: PipelineIssue[] }> {
  const thread = (worker ??= spawn());
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      thread.off('message', onMessage).off('error', onFailure).off('exit', onFailure);
    };
    const onMessage = (outcome: CheckOutcome): void => {
      done();
      if ('fault' in outcome) reject(new Error(`pipeline check failed: ${outcome.fault}`));
      else resolve(outcome);
    };
    const onFailure = (): void => {
      done();
      worker = undefined;
      reject(tooComplex('its check stopped before it ended'));
    };
    const timer = setTimeout(() => {
      done();
      worker = undefined;
      void thread.terminate();
      reject(tooComplex(`checking it took more than ${CHECK_TIMEOUT_MS / 1000} s`));
    }, CHECK_TIMEOUT_MS);
    thread.on('message', onMessage).on('error', onFailure).on('exit', onFailure);
    thread.postMessage(request);
  });
}

function spawn(): Worker {
  const created = new Worker(join(__dirname, 'check-worker.js'), { resourceLimits: { maxOldGenerationSizeMb: 512 } });
  // An idle checker must not keep the process alive after the server closes.
  created.unref();
  return created;
}

function tooComplex(reason: string): ApiError {
  return new ApiError(413, 'payload_too_complex', `the pipeline is too complex to check: ${reason}`, [
    { field: 'yaml', message: reason },
  ]);
}
