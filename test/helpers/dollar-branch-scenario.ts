/**
 * A pipeline run on a branch whose name holds `$&`, with a concurrency group templated from the
 * branch: the lock it takes must carry the branch literally. For a test and for recorded histories.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concurrencyLockId } from '../../workflows/concurrency-lock-workflow';
import { gitIn } from './git';
import { waitForRunEnd, type TestStack } from './test-stack';

/** The branch the run is on. */
export const DOLLAR_BRANCH = 'fix-$&-$1';

/** What the scenario saw: the run, and the lock workflow ids that held its group while it ran. */
export interface DollarBranchRun {
  runId: string;
  run: any;
  lockIds: string[];
}

/** Runs the scenario to its end on `stack`. */
export async function dollarBranchScenario(stack: TestStack): Promise<DollarBranchRun> {
  const repo = mkdtempSync(join(tmpdir(), 'capstan-dollar-branch-'));
  try {
    gitIn(repo, 'init', '-q', '-b', 'main');
    mkdirSync(join(repo, '.capstan'));
    writeFileSync(
      join(repo, '.capstan', 'pipeline.yaml'),
      `name: dollar
on: { manual: true }
concurrency: { group: 'dollar-\${{ branch }}' }
jobs:
  build:
    runs-on: a
    steps:
      - run: echo built
`,
    );
    gitIn(repo, 'add', '-A');
    gitIn(repo, 'commit', '-q', '-m', 'pipeline');
    const sha = gitIn(repo, 'rev-parse', 'HEAD');
    const started = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'record/dollar',
      cloneUrl: repo,
      sha,
      branch: DOLLAR_BRANCH,
    });
    if (started.status !== 202) throw new Error(`start: ${JSON.stringify(started.body)}`);
    const runId = started.body.runId as string;
    const run = await waitForRunEnd(stack, runId);
    const lockIds: string[] = [];
    const prefix = concurrencyLockId(stack.prefix, 'dollar-');
    const query = `WorkflowType = 'concurrencyLockWorkflow' AND WorkflowId STARTS_WITH '${prefix}'`;
    for await (const lock of stack.client.workflow.list({ query })) {
      lockIds.push(lock.workflowId);
    }
    return { runId, run, lockIds };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
