/**
 * Records a history of every workflow type for the replay test: `node dist/test/record-histories.js [NAME…]`
 * starts a dev server and PostgreSQL of its own (or uses those CAPSTAN_TEST_TEMPORAL_ADDRESS, CAPSTAN_TEST_TEMPORAL_BIN
 * and CAPSTAN_TEST_DATABASE_URL name) and needs the Pulumi CLI for the stack scenarios. Re-record only when a change
 * is meant to be incompatible and is guarded by `patched()`; keep the old files to prove the guard.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '../cli/dev-server';
import { loadConfig } from '../config/env';
import { resolvePulumiBinary } from '../toolchain/pulumi-binary';
import { resolveTemporalBinary } from '../toolchain/temporal-binary';
import { cancelInProgressScenario } from './helpers/cancel-in-progress-scenario';
import { dollarBranchScenario } from './helpers/dollar-branch-scenario';
import { alertScenario } from './helpers/alert-scenario';
import { matrixFailFastScenario } from './helpers/matrix-scenario';
import { scheduledPipelineScenario } from './helpers/scheduled-pipeline-scenario';
import { freePort } from './helpers/ports';
import { startPostgresServer } from './helpers/postgres-server';
import { costScenario, stackScenario, type Recorded } from './helpers/stack-scenarios';
import { gitIn } from './helpers/git';
import { startTestStack, testTemporalAddress, waitForRunEnd, type TestStack } from './helpers/test-stack';

const chain = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    nodeClass: 'a',
    command: 'true',
    dependsOn: i > 0 ? [`t${i - 1}`] : [],
  }));

/** Each scenario: the route it is posted to, and the body. */
const SCENARIOS: Record<string, [string, Record<string, unknown>]> = {
  'task-succeeds': ['/v1/tasks', { nodeClass: 'a', command: 'echo hello; echo "k=v" >> "$CAPSTAN_OUTPUT"' }],
  'task-retries-then-fails': [
    '/v1/tasks',
    { nodeClass: 'a', command: 'exit 2', retry: { maxAttempts: 2, initialIntervalSeconds: 0.1 } },
  ],
  'task-cancelled': ['/v1/tasks', { nodeClass: 'a', command: 'sleep 30' }],
  'dag-diamond-matrix': [
    '/v1/dags',
    {
      name: 'diamond',
      tasks: [
        { id: 'a', nodeClass: 'a', command: 'echo "v=1" >> "$CAPSTAN_OUTPUT"' },
        {
          id: 'b',
          nodeClass: 'a',
          dependsOn: ['a'],
          matrix: { n: [1, 2, 3] },
          command: 'echo "sq=${{ matrix.n }}" >> "$CAPSTAN_OUTPUT"',
        },
        { id: 'c', nodeClass: 'b', dependsOn: ['a'], when: "tasks.a.outputs.v == '1'", command: 'true' },
        { id: 'd', nodeClass: 'a', dependsOn: ['b', 'c'], command: 'echo ${{ tasks.b.outputs.sq }}' },
      ],
    },
  ],
  'dag-fail-fast': [
    '/v1/dags',
    {
      name: 'fail-fast',
      tasks: [
        { id: 'boom', nodeClass: 'a', command: 'sleep 0.3; exit 1' },
        { id: 'slow', nodeClass: 'b', command: 'sleep 5' },
        { id: 'after', nodeClass: 'a', dependsOn: ['boom'], command: 'true' },
      ],
    },
  ],
  // Recorded since activities carry summaries (`b[1] on a`, `r on b, attempt 1 of 2`): user metadata in the history.
  'dag-matrix-summaries': [
    '/v1/dags',
    {
      name: 'summaries',
      tasks: [
        { id: 'a', nodeClass: 'a', command: 'true' },
        { id: 'b', nodeClass: 'a', dependsOn: ['a'], matrix: { n: [1, 2] }, command: 'echo ${{ matrix.n }}' },
        { id: 'r', nodeClass: 'b', command: 'exit 4', retry: { maxAttempts: 2, initialIntervalSeconds: 0.1 } },
      ],
    },
  ],
  // With the stack's low continue-as-new threshold this records a later execution, which starts from carried state.
  'dag-continued-as-new': ['/v1/dags', { name: 'chain', maxParallel: 5, tasks: chain(40) }],
  // A spec over the payload codec's threshold: its inputs are stored gzipped, and replay must decode them.
  'dag-large-spec': [
    '/v1/dags',
    {
      name: 'large-spec',
      tasks: chain(6).map((task) => ({ ...task, command: `true # ${'x'.repeat(50_000)}` })),
    },
  ],
};

/**
 * A pipeline with every kind of step, an approval, a deploy lock, a failing health check and a
 * rollback, on a throwaway git repository; returns the run id once the run has ended.
 */
async function pipelineScenario(stack: TestStack): Promise<string> {
  const repo = mkdtempSync(join(tmpdir(), 'capstan-record-'));
  const git = (...args: string[]) => gitIn(repo, ...args);
  try {
    git('init', '-q', '-b', 'main');
    mkdirSync(join(repo, '.capstan'));
    writeFileSync(
      join(repo, '.capstan', 'pipeline.yaml'),
      `name: record
on: { manual: true }
concurrency: { group: 'record-\${{ branch }}' }
jobs:
  build:
    runs-on: a
    steps:
      - checkout: true
      - run: mkdir -p out && echo built > out/file && echo "v=1" >> "$CAPSTAN_OUTPUT"
      - upload-artifact: { name: out, path: out }
  deploy:
    runs-on: b
    needs: [build]
    environment: { name: recorded, approval: { required: true } }
    steps:
      - download-artifact: { name: out }
      - run: exit 3
    rollback:
      - run: echo rolled back
`,
    );
    git('add', '-A');
    git('commit', '-q', '-m', 'pipeline');
    const { body } = await stack.request('POST', '/v1/pipelines/runs', {
      repository: 'record/web',
      cloneUrl: repo,
      sha: git('rev-parse', 'HEAD'),
      branch: 'main',
    });
    for (;;) {
      const run = (await stack.request('GET', `/v1/runs/${encodeURIComponent(body.runId)}`)).body;
      if (run.pipeline?.jobs[1].status === 'waiting-approval') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const approver = await stack.mintToken('operator', { principal: 'approver' });
    await stack.request(
      'POST',
      `/v1/runs/${encodeURIComponent(body.runId)}/approve`,
      { job: 'deploy' },
      { authorization: `Bearer ${approver.token}` },
    );
    await waitForRunEnd(stack, body.runId);
    return body.runId;
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

/** Runs `record` against the suite's servers, or against a dev server and PostgreSQL started for it. */
async function withServers(record: () => Promise<void>, needsPulumi: boolean): Promise<void> {
  if (process.env.CAPSTAN_TEST_TEMPORAL_ADDRESS && process.env.CAPSTAN_TEST_DATABASE_URL) return record();
  const config = loadConfig();
  const binary = await resolveTemporalBinary({ configuredPath: config.temporal.binary, cacheDir: config.cacheDir });
  // Only the stack scenarios need it, and a first build of it takes minutes.
  const pulumi = needsPulumi
    ? await resolvePulumiBinary({ configuredPath: config.pulumi.binary, cacheDir: config.cacheDir })
    : undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'capstan-record-'));
  const server = await startDevServer({
    binary: binary.path,
    dbFile: join(scratch, 'temporal.db'),
    logFile: join(scratch, 'temporal.log'),
    ip: '127.0.0.1',
    port: await freePort(),
    namespace: 'default',
  });
  const postgres = startPostgresServer(await freePort());
  Object.assign(process.env, {
    CAPSTAN_TEST_TEMPORAL_ADDRESS: server.address,
    CAPSTAN_TEST_TEMPORAL_BIN: binary.path,
    CAPSTAN_TEST_DATABASE_URL: postgres.url,
    ...(pulumi ? { CAPSTAN_TEST_PULUMI_BIN: pulumi.path } : {}),
  });
  try {
    await record();
  } finally {
    await server.stop();
    postgres.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}

// `node dist/test/record-histories.js NAME…` records only those scenarios.
const only = process.argv.slice(2);
const wanted = (...names: string[]) => only.length === 0 || names.some((n) => only.includes(n));
const STACK_HISTORIES = ['stack-up-approved', 'stack-ttl-destroy', 'stack-queue-destroy'];

async function main(): Promise<void> {
  // Workers of class a run the cost activities too, and Pulumi when a stack scenario is recorded.
  const workerEnv = {
    CAPSTAN_COST_NODE_CLASS: 'a',
    ...(wanted(...STACK_HISTORIES) ? { CAPSTAN_PULUMI_NODE_CLASS: 'a' } : {}),
  };
  const stack = await startTestStack({ continueAsNewAfterEvents: 150, workerEnv });
  const record = (name: string, workflowId: string, executionId?: string): void => {
    // The CLI's JSON is the format Temporal documents for replay tests.
    const history = execFileSync(
      process.env.CAPSTAN_TEST_TEMPORAL_BIN ?? 'temporal',
      [
        'workflow',
        'show',
        '--workflow-id',
        workflowId,
        ...(executionId ? ['--run-id', executionId] : []),
        '--address',
        testTemporalAddress(),
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    writeFileSync(join(__dirname, '..', '..', 'test', 'histories', `${name}.json`), history);
    process.stderr.write(`recorded ${name}\n`);
  };
  try {
    if (wanted('pipeline-deploy-rollback')) record('pipeline-deploy-rollback', await pipelineScenario(stack));
    if (wanted('pipeline-cancelled-in-progress', 'lock-preempted')) {
      const preempted = await cancelInProgressScenario(stack);
      record('pipeline-cancelled-in-progress', preempted.runId);
      record('lock-preempted', preempted.lock.workflowId, preempted.lock.runId);
    }
    const several = async (scenario: (s: TestStack) => Promise<Record<string, Recorded>>) => {
      for (const [name, run] of Object.entries(await scenario(stack))) record(name, run.workflowId, run.executionId);
    };
    // A branch with a `$` takes the patched, literal naming of its concurrency group.
    if (wanted('pipeline-dollar-branch')) record('pipeline-dollar-branch', (await dollarBranchScenario(stack)).runId);
    if (wanted('pipeline-matrix-fail-fast')) record('pipeline-matrix-fail-fast', await matrixFailFastScenario(stack));
    if (wanted('cost-analysis')) await several(costScenario);
    if (wanted('alert-evaluation')) record('alert-evaluation', await alertScenario(stack));
    // The workflow a pipeline's schedule starts: the head read by an activity, the run started as a child.
    if (wanted('scheduled-pipeline'))
      record('scheduled-pipeline', (await scheduledPipelineScenario(stack)).starterWorkflowId);
    if (wanted(...STACK_HISTORIES)) await several(stackScenario);
    for (const [name, [route, spec]] of Object.entries(SCENARIOS)) {
      if (only.length > 0 && !only.includes(name)) continue;
      const { body } = await stack.request('POST', route, spec);
      if (name === 'task-cancelled') {
        await new Promise((r) => setTimeout(r, 1500));
        await stack.request('POST', `/v1/runs/${body.runId}/cancel`);
      }
      await waitForRunEnd(stack, body.runId);
      record(name, body.runId);
    }
  } finally {
    await stack.stop();
  }
}

withServers(main, wanted(...STACK_HISTORIES)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
