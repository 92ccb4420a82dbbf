/**
 * A failed task explains itself: the last lines of its stderr reach `GET /v1/runs/:id`, `capstan status`
 * and `capstan run --follow`, for a single task and for each failed node of a DAG.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCapstan, type CliOutcome } from './helpers/capstan-cli';
import { startTestStack, waitForRunEnd, type TestStack } from './helpers/test-stack';

const LINE = 'error - missing semicolon at main.c:12';
// Output on stdout first, so the test sees stderr is preferred; the explaining line is the last on stderr.
const FAILING = `echo "compiling main.c"; echo "warning: unused x" >&2; echo "${LINE}" >&2; exit 3`;

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
});

const capstan = (args: string[]): Promise<CliOutcome> => runCapstan(stack, args);

const expectedTail = { stream: 'stderr', lines: ['warning: unused x', LINE], truncated: false };

test(
  'a failed DAG task carries its stderr tail in the run, in status and in run --follow',
  { timeout: 120_000 },
  async () => {
    const file = join(stack.dataDir, 'semicolon.yaml');
    writeFileSync(
      file,
      `name: semicolon\ntasks:\n  - { id: build, nodeClass: a, command: ${JSON.stringify(FAILING)} }\n` +
        '  - { id: test, nodeClass: a, dependsOn: [build], command: "true" }\n',
    );
    const followed = await capstan(['run', file, '--follow']);
    assert.equal(followed.code, 1, followed.out + followed.err);
    const out = followed.out;
    const nodeLine = out.indexOf('✗ build failed');
    assert.ok(nodeLine >= 0, out);
    assert.match(
      out,
      /✗ build failed \(1 attempt\).*: command exited with code 3: error - missing semicolon at main\.c:12/,
    );
    assert.match(out, /\n {6}stderr \| error - missing semicolon at main\.c:12\n/, out);
    assert.ok(out.indexOf(`stderr | ${LINE}`) > nodeLine, 'the tail follows the line naming the task');
    assert.ok(out.indexOf(`stderr | ${LINE}`) < out.indexOf('run dag-semicolon'), 'and comes before the ending');

    const runId = /started (\S+)/.exec(out)![1]!;
    const run = (await stack.request('GET', `/v1/runs/${runId}`)).body;
    assert.equal(run.status, 'failed');
    const build = run.dag.nodes.find((n: { key: string }) => n.key === 'build');
    assert.equal(build.exitCode, 3);
    assert.deepEqual(build.logTail, expectedTail);
    assert.match(
      build.message,
      /^command exited with code 3: error - missing semicolon at main\.c:12 \(after 1 attempt\)$/,
    );
    assert.equal(run.failure.message, '1 task failed: build');
    assert.equal(run.failure.tasks.length, 1);
    assert.deepEqual(run.failure.tasks[0], {
      key: 'build',
      message: build.message,
      exitCode: 3,
      logTail: expectedTail,
    });

    const status = await capstan(['status', runId]);
    assert.equal(status.code, 1, status.err);
    assert.deepEqual(JSON.parse(status.out).failure.tasks[0].logTail, expectedTail);
  },
);

test(
  'a failed single task carries its stderr tail in the run, in status and in run --follow',
  { timeout: 120_000 },
  async () => {
    const file = join(stack.dataDir, 'semicolon-task.yaml');
    writeFileSync(file, `nodeClass: a\ncommand: ${JSON.stringify(FAILING)}\n`);
    const followed = await capstan(['run', file, '--follow']);
    assert.equal(followed.code, 1, followed.out + followed.err);
    assert.match(followed.out, /failed: command exited with code 3: error - missing semicolon at main\.c:12/);
    assert.match(
      followed.out,
      /\n {4}last 2 lines of stderr:\n {4}stderr \| warning: unused x\n {4}stderr \| error - missing/,
    );

    const runId = /started (\S+)/.exec(followed.out)![1]!;
    const run = await waitForRunEnd(stack, runId);
    assert.equal(run.status, 'failed');
    assert.equal(run.failure.type, 'TaskFailed');
    assert.equal(run.failure.details.exitCode, 3);
    assert.deepEqual(run.failure.logTail, expectedTail);
    assert.match(run.failure.message, /command exited with code 3: error - missing semicolon at main\.c:12/);

    const status = await capstan(['status', runId]);
    assert.equal(status.code, 1, status.err);
    assert.deepEqual(JSON.parse(status.out).failure.logTail, expectedTail);
  },
);

test('a task that fails silently on stderr shows the end of its stdout', { timeout: 60_000 }, async () => {
  const started = await stack.request('POST', '/v1/tasks', {
    nodeClass: 'a',
    command: 'for i in $(seq 1 30); do echo "step $i"; done; exit 4',
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = await waitForRunEnd(stack, started.body.runId);
  assert.equal(run.failure.logTail.stream, 'stdout');
  assert.equal(run.failure.logTail.lines.length, 20, 'at most 20 lines');
  assert.equal(run.failure.logTail.lines[19], 'step 30');
  assert.equal(run.failure.logTail.truncated, true);
  assert.match(run.failure.message, /command exited with code 4: step 30/);
});
