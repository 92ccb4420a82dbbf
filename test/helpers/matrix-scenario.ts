/**
 * A pipeline with a matrix job on two classes under fail-fast and max-parallel: one combination
 * fails, the running ones are cancelled, the pending ones never start, and the job that needs the
 * matrix is skipped. Every job reports a commit status. Recorded for the replay test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitIn } from './git';
import { waitForRunEnd, type TestStack } from './test-stack';

/** Runs the scenario to its end on `stack`; returns the run id. */
export async function matrixFailFastScenario(stack: TestStack): Promise<string> {
  const repo = mkdtempSync(join(tmpdir(), 'capstan-matrix-scenario-'));
  try {
    gitIn(repo, 'init', '-q', '-b', 'main');
    mkdirSync(join(repo, '.capstan'));
    writeFileSync(
      join(repo, '.capstan', 'pipeline.yaml'),
      `name: matrix
on: { manual: true }
jobs:
  test:
    name: 'test v\${{ matrix.v }} on \${{ matrix.os }}'
    runs-on: '\${{ matrix.os }}'
    strategy:
      matrix: { v: [1, 2, 3], os: [a, b] }
      max-parallel: 3
    env: { V: '\${{ matrix.v }}' }
    steps:
      - name: 'v\${{ matrix.v }}'
        run: |
          if [ "$V" = 2 ]; then echo "v2 broke"; exit 1; fi
          sleep 20
  report:
    runs-on: a
    needs: [test]
    steps:
      - run: echo done
`,
    );
    gitIn(repo, 'add', '-A');
    gitIn(repo, 'commit', '-q', '-m', 'pipeline');
    const started = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'record/matrix',
      cloneUrl: repo,
      sha: gitIn(repo, 'rev-parse', 'HEAD'),
      branch: 'main',
    });
    if (started.status !== 202) throw new Error(`start: ${JSON.stringify(started.body)}`);
    const run = await waitForRunEnd(stack, started.body.runId);
    if (run.status !== 'failed') throw new Error(`expected a failed run: ${JSON.stringify(run.pipeline)}`);
    return started.body.runId as string;
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
