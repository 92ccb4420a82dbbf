/**
 * A scenario for recorded histories: a manual pipeline run whose concurrency group a second run
 * takes with cancel-in-progress while the first run's step is running.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concurrencyLockId } from '../../workflows/concurrency-lock-workflow';
import { gitIn } from './git';
import { waitForRunEnd, type TestStack } from './test-stack';

/** The workflow executions to record: the cancelled run, and the lock it held when it was preempted. */
export interface PreemptedRun {
  runId: string;
  lock: { workflowId: string; runId: string };
}

/** Runs the scenario to its end on `stack`. */
export async function cancelInProgressScenario(stack: TestStack): Promise<PreemptedRun> {
  const repo = mkdtempSync(join(tmpdir(), 'capstan-record-preempt-'));
  const commit = (seconds: number): string => {
    writeFileSync(join(repo, 'SLEEP'), `${seconds}\n`);
    gitIn(repo, 'add', '-A');
    gitIn(repo, 'commit', '-q', '-m', `sleep ${seconds}`);
    return gitIn(repo, 'rev-parse', 'HEAD');
  };
  try {
    gitIn(repo, 'init', '-q', '-b', 'main');
    mkdirSync(join(repo, '.capstan'));
    writeFileSync(
      join(repo, '.capstan', 'pipeline.yaml'),
      `name: preempt
on: { manual: true }
concurrency: { group: 'preempt-\${{ branch }}', cancelInProgress: true }
jobs:
  build:
    runs-on: a
    steps:
      - checkout: true
      - run: sleep "$(cat SLEEP)"
      - run: echo done
`,
    );
    const start = async (sha: string): Promise<string> =>
      (
        await stack.request('POST', '/v1/pipelines/runs', {
          repository: 'record/preempt',
          cloneUrl: repo,
          sha,
          branch: 'main',
        })
      ).body.runId as string;
    const first = await start(commit(30));
    for (;;) {
      const run = (await stack.request('GET', `/v1/runs/${encodeURIComponent(first)}`)).body;
      if (run.pipeline?.jobs[0].steps[1].status === 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const second = await start(commit(0));
    await waitForRunEnd(stack, first);
    await waitForRunEnd(stack, second);
    const workflowId = concurrencyLockId(stack.prefix, 'preempt-main');
    const locks: Array<{ runId: string; startTime: Date }> = [];
    for await (const lock of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) locks.push(lock);
    const preempted = locks.sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0];
    if (!preempted) throw new Error(`no lock ${workflowId} in visibility`);
    return { runId: first, lock: { workflowId, runId: preempted.runId } };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
