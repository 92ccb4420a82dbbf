/** `capstan run spec.yaml --follow` against the real API: live progress, exit 0 on success, non-zero naming the failed task. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCapstan, type CliOutcome } from './helpers/capstan-cli';
import { startTestStack, type TestStack } from './helpers/test-stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
});

const capstan = (args: string[]): Promise<CliOutcome> => runCapstan(stack, args);

const DIAMOND = `name: diamond
tasks:
  - id: a
    nodeClass: a
    command: echo "x=1" >> "$CAPSTAN_OUTPUT"
  - { id: b, nodeClass: a, dependsOn: [a], command: "sleep 1" }
  - { id: c, nodeClass: b, dependsOn: [a], command: "true" }
  - { id: d, nodeClass: a, dependsOn: [b, c], command: "echo \${{ tasks.a.outputs.x }}" }
`;

test('run --follow shows each task as it ends and exits 0', { timeout: 120_000 }, async () => {
  const file = join(stack.dataDir, 'diamond.yaml');
  writeFileSync(file, DIAMOND);
  const { code, out, err } = await capstan(['run', file, '--follow']);
  assert.equal(code, 0, `${out}\n${err}`);
  for (const key of ['a', 'b', 'c', 'd']) assert.match(out, new RegExp(`✓ ${key} succeeded`), out);
  assert.match(out, /\[4\/4\] succeeded 4/);
  assert.match(out, /run dag-diamond-\S+ completed/);
  assert.match(out, /history: http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/dag-diamond-/);
  const progressLines = out.split('\n').filter((l) => /^\[\d+\/4\]/.test(l));
  assert.ok(progressLines.length >= 2, `progress shown as it happens, not only at the end:\n${out}`);
});

test('run --follow exits non-zero and names the failed task', { timeout: 120_000 }, async () => {
  const file = join(stack.dataDir, 'failing.yaml');
  writeFileSync(
    file,
    'name: failing\ntasks:\n  - { id: ok, nodeClass: a, command: "true" }\n  - { id: broken, nodeClass: a, dependsOn: [ok], command: "exit 9" }\n',
  );
  const { code, out } = await capstan(['run', file, '--follow']);
  assert.equal(code, 1, out);
  assert.match(out, /✗ broken failed \(1 attempt\).*exited with code 9/);
  assert.match(out, /run \S+ failed: 1 task failed: broken/);
});

test('a bad spec is refused with the field named and exit code 2', async () => {
  const file = join(stack.dataDir, 'bad.yaml');
  writeFileSync(file, 'name: bad\ntasks:\n  - { id: a, nodeClass: a, command: "true", dependsOn: [missing] }\n');
  const { code, err } = await capstan(['run', file]);
  assert.equal(code, 2);
  assert.match(err, /tasks\[0\]\.dependsOn\[0\]: unknown task "missing"/);
});

test('a single task file runs as a task', { timeout: 60_000 }, async () => {
  const file = join(stack.dataDir, 'task.yaml');
  writeFileSync(file, 'nodeClass: a\ncommand: echo hi\n');
  const { code, out } = await capstan(['run', file, '--follow']);
  assert.equal(code, 0, out);
  assert.match(out, /run task-\S+ completed/);
});
