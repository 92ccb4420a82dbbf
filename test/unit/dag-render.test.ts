/** DAG task rendering: templates in command, script, args, env and workingDirectory; what a task refers to. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InvalidTaskError, prepareAttempt } from '../../activities/shell/attempt-files';
import { DagSpecSchema, type DagTask } from '../../workflows/contracts/dag-spec';
import { TaskSpecSchema } from '../../workflows/contracts/task-spec';
import type { EvalContext } from '../../workflows/dag/expression';
import { buildPlan } from '../../workflows/dag/plan';
import { referencedTasks, renderTask } from '../../workflows/dag/render';
import { DagScheduler } from '../../workflows/dag/scheduler';

const parseTask = (fields: Record<string, unknown>): DagTask =>
  DagSpecSchema.parse({ name: 'r', tasks: [{ id: 't', nodeClass: 'linux', ...fields }] }).tasks[0]!;

const ctx: EvalContext = {
  tasks: {
    build: { status: 'succeeded', outputs: { version: '1.2.3', dir: 'pkg' } },
    shards: { status: 'succeeded', outputs: [{ n: '1' }, { n: '2' }] },
  },
  matrix: { os: 'linux', node: 20 },
  dependencyStatuses: ['succeeded'],
};

describe('renderTask', () => {
  test('fills command, args, env and workingDirectory from upstream outputs and matrix values', () => {
    const task = parseTask({
      command: 'make VERSION=${{ tasks.build.outputs.version }} OS=${{ matrix.os }}',
      args: ['--node=${{ matrix.node }}', 'plain $1 ${HOME}'],
      env: { TAG: 'v${{ tasks.build.outputs.version }}-${{ matrix.os }}', KEEP: 'as is' },
      workingDirectory: 'out/${{ tasks.build.outputs.dir }}/${{ matrix.os }}',
      timeoutSeconds: 60,
      retry: { maxAttempts: 3 },
    });
    const rendered = renderTask(task, 't[1]', ctx);
    assert.equal(rendered.name, 't[1]');
    assert.equal(rendered.nodeClass, 'linux');
    assert.equal(rendered.command, 'make VERSION=1.2.3 OS=linux');
    assert.deepEqual(rendered.args, ['--node=20', 'plain $1 ${HOME}']);
    assert.deepEqual(rendered.env, { TAG: 'v1.2.3-linux', KEEP: 'as is' });
    assert.equal(rendered.workingDirectory, 'out/pkg/linux');
    assert.equal(rendered.timeoutSeconds, 60);
    assert.equal(rendered.retry.maxAttempts, 3);
    assert.equal(rendered.script, undefined);
  });

  test('fills a script', () => {
    const rendered = renderTask(parseTask({ script: 'set -x\necho "${{ tasks.build.outputs.version }}"\n' }), 't', ctx);
    assert.equal(rendered.script, 'set -x\necho "1.2.3"\n');
    assert.equal(rendered.command, undefined);
  });

  test('a missing output renders as empty text; a matrix output as a JSON list', () => {
    const rendered = renderTask(
      parseTask({ command: '[${{ tasks.build.outputs.nope }}] ${{ tasks.shards.outputs.n }}' }),
      't',
      ctx,
    );
    assert.equal(rendered.command, '[] ["1","2"]');
  });

  test('a task without templates comes out unchanged', () => {
    const task = parseTask({ command: 'echo ${A:-b} }} {{', args: ['$1'], env: { X: '${X}' } });
    const rendered = renderTask(task, 't', ctx);
    assert.equal(rendered.command, task.command);
    assert.deepEqual(rendered.args, ['$1']);
    assert.deepEqual(rendered.env, { X: '${X}' });
    assert.equal('workingDirectory' in rendered, false);
  });

  test('renders from the scheduler context of a matrix branch after its dependency ran', () => {
    const spec = DagSpecSchema.parse({
      name: 'r',
      tasks: [
        { id: 'build', nodeClass: 'linux', command: 'true' },
        {
          id: 'test',
          nodeClass: 'linux',
          dependsOn: ['build'],
          matrix: { os: ['linux', 'mac'] },
          command: 'test ${{ tasks.build.outputs.version }} on ${{ matrix.os }}',
        },
      ],
    });
    const plan = buildPlan(spec);
    const scheduler = new DagScheduler(
      spec,
      plan,
      plan.nodes.map(() => ({ status: 'pending' as const })),
    );
    scheduler.next(10);
    scheduler.finish(0, { status: 'succeeded', outputs: { version: '9.9' } });
    const dispatched = scheduler.next(10).dispatch;
    assert.deepEqual(dispatched, [1, 2]);
    const commands = dispatched.map((n) => renderTask(spec.tasks[1]!, plan.nodes[n]!.key, scheduler.contextFor(n)));
    assert.deepEqual(
      commands.map((c) => [c.name, c.command]),
      [
        ['test[0]', 'test 9.9 on linux'],
        ['test[1]', 'test 9.9 on mac'],
      ],
    );
  });

  test('the rendered task is a valid task spec', () => {
    const rendered = renderTask(
      parseTask({ command: 'true', workingDirectory: 'out/${{ tasks.build.outputs.dir }}' }),
      't',
      ctx,
    );
    assert.equal(TaskSpecSchema.safeParse(rendered).success, true);
  });

  test('a task aimed at a host keeps its host; one without stays without (old runs render as before)', () => {
    assert.equal(renderTask(parseTask({ command: 'true', host: 'db-1' }), 't', ctx).host, 'db-1');
    assert.equal('host' in renderTask(parseTask({ command: 'true' }), 't', ctx), false);
  });

  test('an upstream output cannot move the working directory out of the workspace', async () => {
    // Rendering happens in the workflow and cannot fail there; the worker refuses the directory before running anything.
    const hostile: EvalContext = {
      ...ctx,
      tasks: { build: { status: 'succeeded', outputs: { dir: '../../../../../tmp/elsewhere' } } },
    };
    const task = parseTask({ command: 'true', workingDirectory: '${{ tasks.build.outputs.dir }}' });
    const rendered = renderTask(task, 't', hostile);
    const root = mkdtempSync(join(tmpdir(), 'capstan-render-'));
    await assert.rejects(
      prepareAttempt(root, ['run', 't'], 1, rendered),
      (err: Error) => err instanceof InvalidTaskError && /leads outside the task workspace/.test(err.message),
    );
    assert.equal(existsSync('/tmp/elsewhere'), false);
  });
});

describe('referencedTasks', () => {
  test('lists each task referred to by the condition and the templates once, without matrix keys', () => {
    const task = parseTask({
      when: "tasks.gate.status == 'succeeded' && matrix.os != ''",
      command: 'echo ${{ tasks.build.outputs.v }} ${{ tasks.gate.outputs.x }}',
      args: ['${{ matrix.os }}'],
      env: { A: '${{ tasks.lint.status }}' },
      workingDirectory: '${{ tasks.pkg.outputs.dir }}',
      matrix: { os: ['l'] },
    });
    const refs = referencedTasks(task);
    assert.deepEqual([...refs].sort(), ['build', 'gate', 'lint', 'pkg']);
    assert.equal(refs.length, 4, 'each once');
  });

  test('includes references in a script', () => {
    assert.deepEqual(referencedTasks(parseTask({ script: 'echo ${{ tasks.a.outputs.x }}' })), ['a']);
  });

  test('a task without conditions or templates refers to nothing', () => {
    assert.deepEqual(referencedTasks(parseTask({ command: 'echo ${HOME}' })), []);
  });

  test('is computed once per task object', () => {
    const task = parseTask({ command: 'echo ${{ tasks.a.outputs.x }}' });
    assert.equal(referencedTasks(task), referencedTasks(task));
  });
});
