/** DAG runs through the HTTP API against real workers and a real Temporal server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

let stack: TestStack;
// A low threshold makes every run here continue as new several times, so that path is always exercised.
before(async () => {
  stack = await startTestStack({ continueAsNewAfterEvents: 200 });
});
after(async () => {
  await stack?.stop();
});

async function runDag(spec: unknown): Promise<any> {
  const started = await stack.request('POST', '/v1/dags', spec);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForRunEnd(stack, started.body.runId, 120_000);
}

const byKey = (run: any): Record<string, any> => Object.fromEntries(run.dag.nodes.map((n: any) => [n.key, n]));

describe('a DAG that succeeds', () => {
  test('diamond: d reads the outputs of b and c', async () => {
    const run = await runDag({
      name: 'diamond',
      tasks: [
        { id: 'a', nodeClass: 'a', command: 'echo "seed=42" >> "$CAPSTAN_OUTPUT"' },
        {
          id: 'b',
          nodeClass: 'a',
          dependsOn: ['a'],
          command: 'echo "v=$(( ${{ tasks.a.outputs.seed }} + 1 ))" >> "$CAPSTAN_OUTPUT"',
        },
        {
          id: 'c',
          nodeClass: 'b',
          dependsOn: ['a'],
          command: 'echo "v=$(( ${{ tasks.a.outputs.seed }} * 2 ))" >> "$CAPSTAN_OUTPUT"',
        },
        {
          id: 'd',
          nodeClass: 'a',
          dependsOn: ['b', 'c'],
          command: 'echo "sum=$(( ${{ tasks.b.outputs.v }} + ${{ tasks.c.outputs.v }} ))" >> "$CAPSTAN_OUTPUT"',
        },
      ],
    });
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.equal(run.kind, 'dag');
    assert.deepEqual(run.dagResult.counts, {
      pending: 0,
      running: 0,
      succeeded: 4,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    });
    const nodes = byKey(run);
    assert.equal(nodes.b.outputs.v, '43');
    assert.equal(nodes.c.outputs.v, '84');
    assert.equal(nodes.d.outputs.sum, '127');
    assert.match(nodes.c.worker, /\/b\/\d+$/, 'c ran on its own node class');
    assert.ok(Date.parse(nodes.d.startedAt) >= Date.parse(nodes.b.finishedAt), 'd started after b finished');
    assert.ok(run.dagResult.executions >= 1);

    const auth = { headers: { Authorization: `Bearer ${stack.adminToken}` } };
    const svg = await fetch(`${stack.baseUrl}/v1/runs/${run.runId}/graph`, auth);
    assert.equal(svg.status, 200);
    assert.match(svg.headers.get('content-type') ?? '', /image\/svg\+xml/);
    const picture = await svg.text();
    for (const key of ['a', 'b', 'c', 'd']) assert.match(picture, new RegExp(`>${key}<`));
    assert.match(picture, /succeeded 4/);
    const mermaid = await (await fetch(`${stack.baseUrl}/v1/runs/${run.runId}/graph?format=mermaid`, auth)).text();
    assert.match(mermaid, /flowchart LR/);
    assert.equal((mermaid.match(/-->/g) ?? []).length, 4, 'four edges in the diamond');
    const bad = await stack.request('GET', `/v1/runs/${run.runId}/graph?format=png`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'query.format');
  });

  test('a matrix of 5 gathers 5 outputs for its downstream task', async () => {
    const run = await runDag({
      name: 'matrix',
      tasks: [
        {
          id: 'square',
          nodeClass: 'a',
          matrix: { n: [1, 2, 3, 4, 5] },
          command: 'echo "sq=$(( ${{ matrix.n }} * ${{ matrix.n }} ))" >> "$CAPSTAN_OUTPUT"',
        },
        {
          id: 'gather',
          nodeClass: 'a',
          dependsOn: ['square'],
          command: 'echo \'all=${{ tasks.square.outputs.sq }}\' >> "$CAPSTAN_OUTPUT"',
        },
      ],
    });
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const nodes = byKey(run);
    assert.equal(nodes['square[4]'].outputs.sq, '25');
    assert.equal(nodes.gather.outputs.all, '["1","4","9","16","25"]');
  });

  test('conditions: a false `when` skips the task and its dependents run on success()', async () => {
    const run = await runDag({
      name: 'conditions',
      tasks: [
        { id: 'check', nodeClass: 'a', command: 'echo "deploy=no" >> "$CAPSTAN_OUTPUT"' },
        {
          id: 'deploy',
          nodeClass: 'a',
          dependsOn: ['check'],
          when: "tasks.check.outputs.deploy == 'yes'",
          command: 'true',
        },
        {
          id: 'notify',
          nodeClass: 'a',
          dependsOn: ['deploy'],
          when: 'always()',
          command: 'echo "saw=${{ tasks.deploy.status }}" >> "$CAPSTAN_OUTPUT"',
        },
      ],
    });
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const nodes = byKey(run);
    assert.equal(nodes.deploy.status, 'skipped');
    assert.match(nodes.deploy.message, /condition is false/);
    assert.equal(nodes.notify.outputs.saw, 'skipped');
  });
});

describe('failure policies', () => {
  const failing = (failFast: boolean) => ({
    name: `policy-${failFast}`,
    failFast,
    tasks: [
      { id: 'boom', nodeClass: 'a', command: 'sleep 0.5; exit 4' },
      { id: 'slow', nodeClass: 'b', command: 'sleep 6; echo "done=1" >> "$CAPSTAN_OUTPUT"' },
      { id: 'after-boom', nodeClass: 'a', dependsOn: ['boom'], command: 'true' },
      { id: 'after-slow', nodeClass: 'b', dependsOn: ['slow'], command: 'true' },
      { id: 'tolerated', nodeClass: 'a', continueOnError: true, command: 'exit 1' },
    ],
  });

  test('fail fast cancels running siblings and skips the rest; the run names the failed task', async () => {
    const run = await runDag(failing(true));
    assert.equal(run.status, 'failed');
    assert.equal(run.failure.type, 'DagFailed');
    assert.match(run.failure.message, /boom/);
    const nodes = byKey(run);
    assert.equal(nodes.boom.status, 'failed');
    assert.equal(nodes.boom.exitCode, 4);
    assert.equal(nodes.slow.status, 'cancelled');
    assert.match(nodes.slow.message, /fail fast/);
    assert.equal(nodes['after-boom'].status, 'skipped');
    assert.equal(nodes['after-slow'].status, 'skipped');
  });

  test('without fail fast, independent branches finish and only dependents are skipped', async () => {
    const run = await runDag(failing(false));
    assert.equal(run.status, 'failed');
    const nodes = byKey(run);
    assert.equal(nodes.boom.status, 'failed');
    assert.equal(nodes.slow.status, 'succeeded', JSON.stringify(nodes.slow));
    assert.equal(nodes['after-slow'].status, 'succeeded');
    assert.equal(nodes['after-boom'].status, 'skipped');
    assert.match(nodes['after-boom'].message, /dependency boom failed/);
    assert.equal(nodes.tolerated.status, 'failed', 'a continueOnError failure is still shown as failed');
    assert.deepEqual(run.failure.details.failed.sort(), ['boom', 'tolerated']);
  });
});

describe('operating a DAG run', () => {
  test('cancel stops running tasks and marks the rest cancelled', async () => {
    const started = await stack.request('POST', '/v1/dags', {
      name: 'to-cancel',
      tasks: [
        { id: 'long', nodeClass: 'a', command: 'sleep 60' },
        { id: 'next', nodeClass: 'a', dependsOn: ['long'], command: 'true' },
      ],
    });
    const runId = started.body.runId;
    for (let i = 0; i < 100; i++) {
      const live = await stack.request('GET', `/v1/runs/${runId}`);
      if (live.body.dag?.counts.running === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await stack.request('POST', `/v1/runs/${runId}/cancel`)).status, 202);
    const run = await waitForRunEnd(stack, runId);
    assert.equal(run.status, 'cancelled');
    const nodes = byKey(run);
    assert.equal(nodes.long.status, 'cancelled');
    assert.equal(nodes.next.status, 'cancelled');
  });

  test('a run of 60 tasks continues as new and keeps every node state', async () => {
    const tasks = Array.from({ length: 60 }, (_, i) => ({
      id: `t${i}`,
      nodeClass: i % 2 ? 'a' : 'b',
      dependsOn: i >= 10 ? [`t${i - 10}`] : [],
      command: `echo "i=${i}" >> "$CAPSTAN_OUTPUT"`,
    }));
    const run = await runDag({ name: 'wide', maxParallel: 10, tasks });
    assert.equal(run.status, 'completed', JSON.stringify(run.failure));
    assert.ok(run.dagResult.executions > 1, `continued as new (executions: ${run.dagResult.executions})`);
    assert.equal(run.dagResult.counts.succeeded, 60);
    assert.equal(run.dag.nodes.length, 60);
    run.dag.nodes.forEach((n: any, i: number) => assert.equal(n.outputs.i, String(i)));
  });

  test("a failed task's log tail survives the run continuing as new", async () => {
    const tasks = [
      { id: 'explain', nodeClass: 'a', continueOnError: true, command: 'echo "error - missing semicolon" >&2; exit 3' },
      ...Array.from({ length: 40 }, (_, i) => ({
        id: `t${i}`,
        nodeClass: 'a',
        dependsOn: i === 0 ? ['explain'] : [`t${i - 1}`],
        command: 'true',
      })),
    ];
    const run = await runDag({ name: 'tail-carried', tasks });
    // The failure is tolerated (continueOnError), so the run completes, and it continued as new after it.
    assert.equal(run.status, 'completed', JSON.stringify(run.failure));
    assert.ok(run.dagResult.executions > 1, `continued as new (executions: ${run.dagResult.executions})`);
    const explain = byKey(run).explain;
    assert.equal(explain.status, 'failed');
    assert.deepEqual(explain.logTail, { stream: 'stderr', lines: ['error - missing semicolon'], truncated: false });
    assert.match(explain.message, /command exited with code 3: error - missing semicolon/);
  });

  test('retry from failure re-runs only the failed task and its descendants; the others show as reused', async () => {
    const marker = `${stack.dataDir}/flaky-once`;
    const spec = {
      name: 'retryable',
      failFast: false,
      tasks: [
        { id: 'setup', nodeClass: 'a', command: 'echo "token=abc" >> "$CAPSTAN_OUTPUT"' },
        {
          id: 'flaky',
          nodeClass: 'a',
          dependsOn: ['setup'],
          command: `[ -f ${marker} ] || { touch ${marker}; exit 1; }; echo "got=\${{ tasks.setup.outputs.token }}" >> "$CAPSTAN_OUTPUT"`,
        },
        {
          id: 'after',
          nodeClass: 'a',
          dependsOn: ['flaky'],
          command: 'echo "saw=${{ tasks.flaky.outputs.got }}" >> "$CAPSTAN_OUTPUT"',
        },
        { id: 'side', nodeClass: 'b', dependsOn: ['setup'], command: 'true' },
      ],
    };
    const first = await runDag(spec);
    assert.equal(first.status, 'failed');
    assert.equal(byKey(first).after.status, 'skipped');

    const retry = await stack.request('POST', `/v1/runs/${first.runId}/retry`);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.reused, 2);
    assert.equal(retry.body.rerun, 2);
    assert.notEqual(retry.body.runId, first.runId);
    const second = await waitForRunEnd(stack, retry.body.runId);
    assert.equal(second.status, 'completed', JSON.stringify(second.failure));
    const nodes = byKey(second);
    assert.equal(nodes.setup.reused, true);
    assert.equal(nodes.side.reused, true);
    assert.equal(nodes.setup.finishedAt, byKey(first).setup.finishedAt, 'setup was not run again');
    assert.equal(nodes.flaky.reused, undefined);
    assert.equal(nodes.flaky.outputs.got, 'abc', 'reused outputs feed the re-run task');
    assert.equal(nodes.after.outputs.saw, 'abc');
    const again = await stack.request('POST', `/v1/runs/${second.runId}/retry`);
    assert.equal(again.status, 409, 'a run that succeeded has nothing to retry');
  });

  test('a DAG can be sent as YAML', async () => {
    const yaml = 'name: from-yaml\ntasks:\n  - id: hello\n    nodeClass: a\n    command: echo hi\n';
    const response = await fetch(`${stack.baseUrl}/v1/dags`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml', Authorization: `Bearer ${stack.adminToken}` },
      body: yaml,
    });
    assert.equal(response.status, 202);
    const run = await waitForRunEnd(stack, ((await response.json()) as any).runId);
    assert.equal(run.status, 'completed');
  });
});

describe('invalid DAGs are rejected, naming the place, and start nothing', () => {
  const t = (id: string, extra: Record<string, unknown> = {}) => ({ id, nodeClass: 'a', command: 'true', ...extra });
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['duplicate ids', { name: 'x', tasks: [t('a'), t('a')] }, 'tasks[1].id', /duplicate task id "a"/],
    [
      'unknown dependency',
      { name: 'x', tasks: [t('build'), t('test', { dependsOn: ['biuld'] })] },
      'tasks[1].dependsOn[0]',
      /unknown task "biuld"/,
    ],
    [
      'a cycle, printed',
      { name: 'x', tasks: [t('a', { dependsOn: ['c'] }), t('b', { dependsOn: ['a'] }), t('c', { dependsOn: ['b'] })] },
      'tasks[0].dependsOn',
      /cycle: a → c → b → a/,
    ],
    [
      'unknown node class',
      { name: 'x', tasks: [t('a', { nodeClass: 'gpu' })] },
      'tasks[0].nodeClass',
      /unknown node class "gpu"/,
    ],
    [
      'output of a task that is not upstream',
      { name: 'x', tasks: [t('a'), t('b', { command: 'echo ${{ tasks.a.outputs.v }}' })] },
      'tasks[1].command',
      /"a" is not upstream of "b"/,
    ],
    [
      'malformed condition',
      { name: 'x', tasks: [t('a'), t('b', { dependsOn: ['a'], when: "tasks.a.status == 'ok' &&" })] },
      'tasks[1].when',
      /at \d+/,
    ],
    [
      'matrix past the limit',
      {
        name: 'x',
        tasks: [
          t('a', {
            matrix: { x: Array.from({ length: 10 }, (_, i) => i), y: Array.from({ length: 10 }, (_, i) => i) },
          }),
        ],
      },
      'tasks[0].matrix',
      /100 branches, over the limit of 64/,
    ],
    [
      'matrix key that does not exist',
      { name: 'x', tasks: [t('a', { matrix: { os: ['l'] }, command: 'echo ${{ matrix.arch }}' })] },
      'tasks[0].command',
      /no matrix key "arch"/,
    ],
  ];
  for (const [name, body, field, message] of cases) {
    test(name, async () => {
      const before = await stack.countRuns();
      const response = await stack.request('POST', '/v1/dags', body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      const issue = response.body.error.details.find((d: any) => d.field === field);
      assert.ok(issue, `expected field ${field} in ${JSON.stringify(response.body.error.details)}`);
      assert.match(issue.message, message);
      assert.equal(await stack.countRuns(), before);
    });
  }
});
