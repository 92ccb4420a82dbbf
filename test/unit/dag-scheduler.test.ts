/** DAG scheduler: ready set, slots, FIFO, fail-fast, continueOnError, conditions, matrices, cancel, resume, scale. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { NodeState, NodeStatus } from '../../workflows/contracts/dag-run';
import { DagSpecSchema } from '../../workflows/contracts/dag-spec';
import { packStates, unpackStates } from '../../workflows/dag/carry';
import { buildPlan } from '../../workflows/dag/plan';
import { DagScheduler } from '../../workflows/dag/scheduler';

const task = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  nodeClass: 'linux',
  command: 'true',
  ...extra,
});

/** A scheduler over a parsed spec, driven by node keys. */
function run(
  tasks: unknown[],
  options: Record<string, unknown> = {},
  carried?: (keys: string[]) => NodeState[],
  lazySkips = false,
) {
  const spec = DagSpecSchema.parse({ name: 'sched', tasks, ...options });
  const plan = buildPlan(spec);
  const keys = plan.nodes.map((n) => n.key);
  const states = carried ? carried(keys) : plan.nodes.map((): NodeState => ({ status: 'pending' }));
  const scheduler = new DagScheduler(spec, plan, states, { lazySkips });
  const index = (key: string): number => {
    const i = keys.indexOf(key);
    assert.ok(i >= 0, `no node ${key}`);
    return i;
  };
  return {
    scheduler,
    states,
    plan,
    next: (slots = 100): string[] => scheduler.next(slots).dispatch.map((n) => keys[n]!),
    finish: (key: string, status: NodeStatus, extra: Partial<NodeState> = {}): void =>
      scheduler.finish(index(key), { status, ...extra }),
    state: (key: string): NodeState => states[index(key)]!,
    status: (key: string): NodeStatus => states[index(key)]!.status,
    contextFor: (key: string) => scheduler.contextFor(index(key)),
    taskStatus: (id: string) => scheduler.taskStatus(spec.tasks.findIndex((t) => t.id === id)),
  };
}

describe('ready set', () => {
  test('only tasks whose dependencies ended are dispatched, and they are marked running', () => {
    const r = run([task('a'), task('b', { dependsOn: ['a'] }), task('c')]);
    assert.deepEqual(r.next(), ['a', 'c']);
    assert.equal(r.status('a'), 'running');
    assert.equal(r.status('b'), 'pending');
    assert.deepEqual(r.next(), [], 'nothing new is ready while a runs');
    r.finish('a', 'succeeded');
    assert.deepEqual(r.next(), ['b']);
  });

  test('at most `slots` tasks start; the rest wait their turn in order', () => {
    const r = run(['a', 'b', 'c', 'd', 'e'].map((id) => task(id)));
    assert.deepEqual(r.next(2), ['a', 'b']);
    assert.deepEqual(r.next(0), []);
    assert.equal(r.status('c'), 'pending');
    assert.deepEqual(r.next(2), ['c', 'd']);
    assert.deepEqual(r.next(5), ['e']);
  });

  test('FIFO: waiting tasks keep their place ahead of tasks that became ready later', () => {
    const r = run([task('a'), task('b'), task('c'), task('d', { dependsOn: ['a'] })]);
    assert.deepEqual(r.next(1), ['a']);
    r.finish('a', 'succeeded');
    assert.deepEqual(r.next(1), ['b']);
    assert.deepEqual(r.next(1), ['c']);
    assert.deepEqual(r.next(1), ['d']);
  });

  test('FIFO: tasks become ready in the order their dependencies finished, not spec order', () => {
    const r = run([task('x'), task('y'), task('q', { dependsOn: ['x'] }), task('p', { dependsOn: ['y'] })]);
    assert.deepEqual(r.next(), ['x', 'y']);
    r.finish('y', 'succeeded');
    r.finish('x', 'succeeded');
    assert.deepEqual(r.next(), ['p', 'q']);
  });

  test('a task with two dependencies waits for both', () => {
    const r = run([task('a'), task('b'), task('join', { dependsOn: ['a', 'b'] })]);
    r.next();
    r.finish('a', 'succeeded');
    assert.deepEqual(r.next(), []);
    r.finish('b', 'succeeded');
    assert.deepEqual(r.next(), ['join']);
  });
});

describe('success path', () => {
  test('a chain runs to the end: done, not failing, every node succeeded', () => {
    const r = run([task('a'), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['b'] })]);
    for (const key of ['a', 'b', 'c']) {
      assert.equal(r.scheduler.done, false);
      assert.deepEqual(r.next(), [key]);
      r.finish(key, 'succeeded', { outputs: { from: key } });
    }
    assert.deepEqual(r.next(), []);
    assert.equal(r.scheduler.done, true);
    assert.equal(r.scheduler.failing, false);
    assert.deepEqual(r.scheduler.counts(), {
      pending: 0,
      running: 0,
      succeeded: 3,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    });
  });
});

describe('failures', () => {
  const graph = [task('a'), task('b', { dependsOn: ['a'] }), task('c'), task('d', { dependsOn: ['c'] })];

  test('failFast: a failure sets failing and skips every task not yet started', () => {
    const r = run(graph);
    assert.deepEqual(r.next(1), ['a']);
    r.finish('a', 'failed', { message: 'exit 1' });
    assert.equal(r.scheduler.failing, true);
    assert.deepEqual(r.next(), [], 'nothing more starts');
    for (const key of ['b', 'c', 'd']) assert.equal(r.status(key), 'skipped', key);
    assert.equal(r.state('c').message, 'skipped: the run is failing fast');
    assert.equal(r.scheduler.done, true);
    assert.deepEqual(r.scheduler.counts(), {
      pending: 0,
      running: 0,
      succeeded: 0,
      failed: 1,
      skipped: 3,
      cancelled: 0,
    });
  });

  test('failFast: dependents of a task still running are skipped once it ends (cancelled)', () => {
    const r = run(graph);
    assert.deepEqual(r.next(), ['a', 'c']);
    r.finish('a', 'failed');
    assert.deepEqual(r.next(), []);
    assert.equal(r.status('b'), 'skipped');
    assert.equal(r.status('d'), 'pending', 'waits for c');
    assert.equal(r.scheduler.done, false);
    r.finish('c', 'cancelled', { message: 'cancelled: another task failed (fail fast)' });
    assert.deepEqual(r.next(), []);
    assert.equal(r.status('d'), 'skipped');
    assert.equal(r.scheduler.done, true);
  });

  test('failFast=false: only dependents of the failure are skipped; independent branches run', () => {
    const r = run(graph, { failFast: false });
    assert.deepEqual(r.next(), ['a', 'c']);
    r.finish('a', 'failed');
    assert.equal(r.scheduler.failing, true);
    assert.deepEqual(r.next(), []);
    assert.equal(r.status('b'), 'skipped');
    assert.equal(r.state('b').message, 'skipped: dependency a failed');
    r.finish('c', 'succeeded');
    assert.deepEqual(r.next(), ['d']);
    r.finish('d', 'succeeded');
    assert.equal(r.scheduler.done, true);
    assert.deepEqual(r.scheduler.counts(), {
      pending: 0,
      running: 0,
      succeeded: 2,
      failed: 1,
      skipped: 1,
      cancelled: 0,
    });
  });

  test('failFast=false: a skip propagates down the whole chain of dependents', () => {
    const r = run([task('a'), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['b'] })], { failFast: false });
    r.next();
    r.finish('a', 'failed');
    r.next();
    assert.equal(r.state('c').message, 'skipped: dependency b skipped');
    assert.equal(r.scheduler.done, true);
  });

  test('continueOnError: the failure neither blocks dependents nor sets failing', () => {
    const r = run([task('flaky', { continueOnError: true }), task('after', { dependsOn: ['flaky'] }), task('other')]);
    assert.deepEqual(r.next(), ['flaky', 'other']);
    r.finish('flaky', 'failed', { message: 'exit 3' });
    assert.equal(r.scheduler.failing, false);
    assert.deepEqual(r.next(), ['after']);
    assert.equal(r.contextFor('after').dependencyStatuses[0], 'failed', 'the dependency is still reported as failed');
    r.finish('after', 'succeeded');
    r.finish('other', 'succeeded');
    assert.equal(r.scheduler.done, true);
    assert.equal(r.scheduler.failing, false);
  });
});

describe('conditions', () => {
  test('a false `when` skips the task, giving the condition as the reason; its plain dependents are skipped too', () => {
    const when = "tasks.check.outputs.deploy == 'yes'";
    const r = run([
      task('check'),
      task('deploy', { dependsOn: ['check'], when }),
      task('smoke', { dependsOn: ['deploy'] }),
    ]);
    r.next();
    r.finish('check', 'succeeded', { outputs: { deploy: 'no' } });
    assert.deepEqual(r.next(), []);
    assert.equal(r.status('deploy'), 'skipped');
    assert.equal(r.state('deploy').message, `skipped: condition is false: ${when}`);
    assert.equal(r.state('smoke').message, 'skipped: dependency deploy skipped');
    assert.equal(r.scheduler.failing, false, 'a skip is not a failure');
    assert.equal(r.scheduler.done, true);
  });

  test('a true `when` over upstream outputs runs the task', () => {
    const r = run([
      task('check'),
      task('deploy', { dependsOn: ['check'], when: "tasks.check.outputs.deploy == 'yes'" }),
    ]);
    r.next();
    r.finish('check', 'succeeded', { outputs: { deploy: 'yes' } });
    assert.deepEqual(r.next(), ['deploy']);
  });

  test('always() runs after a failed dependency (failFast=false) and sees its status', () => {
    const r = run(
      [
        task('build'),
        task('cleanup', { dependsOn: ['build'], when: 'always()', command: 'echo ${{ tasks.build.status }}' }),
      ],
      { failFast: false },
    );
    r.next();
    r.finish('build', 'failed');
    assert.deepEqual(r.next(), ['cleanup']);
    assert.equal(r.contextFor('cleanup').tasks.build!.status, 'failed');
  });

  test('always() runs after a skipped dependency', () => {
    const r = run([
      task('check'),
      task('deploy', { dependsOn: ['check'], when: 'false' }),
      task('notify', { dependsOn: ['deploy'], when: 'always()' }),
    ]);
    r.next();
    r.finish('check', 'succeeded');
    assert.deepEqual(r.next(), ['notify']);
    assert.equal(r.status('deploy'), 'skipped');
  });

  test('with failFast, even always() is skipped once the run is failing (the spec says: skip the rest)', () => {
    const r = run([task('build'), task('cleanup', { dependsOn: ['build'], when: 'always()' })]);
    r.next();
    r.finish('build', 'failed');
    assert.deepEqual(r.next(), []);
    assert.equal(r.state('cleanup').message, 'skipped: the run is failing fast');
  });

  test('failure() runs only when a direct dependency failed', () => {
    const r = run(
      [
        task('a'),
        task('b'),
        task('onA', { dependsOn: ['a'], when: 'failure()' }),
        task('onB', { dependsOn: ['b'], when: 'failure()' }),
      ],
      { failFast: false },
    );
    r.next();
    r.finish('a', 'failed');
    r.finish('b', 'succeeded');
    assert.deepEqual(r.next(), ['onA']);
    assert.equal(r.state('onB').message, 'skipped: condition is false: failure()');
  });

  test('success() is false after a continueOnError failure', () => {
    const r = run([task('a', { continueOnError: true }), task('b', { dependsOn: ['a'], when: 'success()' })]);
    r.next();
    r.finish('a', 'failed');
    assert.deepEqual(r.next(), []);
    assert.equal(r.status('b'), 'skipped');
  });
});

describe('matrix', () => {
  const matrixTasks = [
    task('square', { matrix: { n: [1, 2, 3] }, command: 'echo ${{ matrix.n }}' }),
    task('gather', { dependsOn: ['square'], command: 'echo ${{ tasks.square.outputs.sq }}' }),
  ];

  test('each branch sees its own matrix values', () => {
    const r = run(matrixTasks);
    assert.deepEqual(r.next(), ['square[0]', 'square[1]', 'square[2]']);
    assert.deepEqual(r.contextFor('square[1]').matrix, { n: 2 });
  });

  test('a gather task waits for every branch and sees outputs as a list in branch order', () => {
    const r = run(matrixTasks);
    r.next();
    r.finish('square[2]', 'succeeded', { outputs: { sq: '9' } });
    r.finish('square[0]', 'succeeded', { outputs: { sq: '1' } });
    assert.deepEqual(r.next(), [], 'square[1] still runs');
    assert.equal(r.taskStatus('square'), 'running');
    r.finish('square[1]', 'succeeded', { outputs: { sq: '4' } });
    assert.deepEqual(r.next(), ['gather']);
    const ctx = r.contextFor('gather');
    assert.deepEqual(ctx.tasks.square, { status: 'succeeded', outputs: [{ sq: '1' }, { sq: '4' }, { sq: '9' }] });
    assert.deepEqual(ctx.dependencyStatuses, ['succeeded']);
    assert.equal(ctx.matrix, undefined);
  });

  test('a branch without outputs gives an empty map in its place', () => {
    const r = run(matrixTasks);
    r.next();
    r.finish('square[0]', 'succeeded', { outputs: { sq: '1' } });
    r.finish('square[1]', 'succeeded');
    r.finish('square[2]', 'succeeded', { outputs: { sq: '9' } });
    r.next();
    assert.deepEqual(r.contextFor('gather').tasks.square!.outputs, [{ sq: '1' }, {}, { sq: '9' }]);
  });

  test('combined status: any failed branch makes the task failed and skips the gather', () => {
    const r = run(matrixTasks, { failFast: false });
    r.next();
    r.finish('square[0]', 'succeeded');
    r.finish('square[1]', 'failed');
    r.finish('square[2]', 'succeeded');
    assert.equal(r.taskStatus('square'), 'failed');
    assert.deepEqual(r.next(), []);
    assert.equal(r.state('gather').message, 'skipped: dependency square failed');
  });

  test('combined status over branch statuses', () => {
    const r = run([task('m', { matrix: { n: [1, 2] } })]);
    const set = (a: NodeStatus, b: NodeStatus): NodeStatus => {
      r.states[0] = { status: a };
      r.states[1] = { status: b };
      return r.taskStatus('m');
    };
    assert.equal(set('pending', 'pending'), 'pending');
    assert.equal(set('succeeded', 'pending'), 'pending');
    assert.equal(set('succeeded', 'succeeded'), 'succeeded');
    assert.equal(set('succeeded', 'skipped'), 'succeeded');
    assert.equal(set('skipped', 'skipped'), 'skipped');
    assert.equal(set('failed', 'running'), 'failed');
    assert.equal(set('succeeded', 'cancelled'), 'cancelled');
  });

  test('a branch skipped by its own condition does not skip a plain dependent of a task that "succeeded"', () => {
    const r = run(
      [
        task('build', { matrix: { os: ['linux', 'mac'] }, when: "matrix.os == 'linux'" }),
        task('publish', { dependsOn: ['build'] }),
        task('publishIfOk', { dependsOn: ['build'], when: 'success()' }),
      ],
      { failFast: false },
    );
    assert.deepEqual(r.next(), ['build[0]']);
    r.finish('build[0]', 'succeeded');
    assert.equal(r.taskStatus('build'), 'succeeded');
    // Both forms of "run when build succeeded" should agree; today publishIfOk runs and publish is skipped.
    assert.deepEqual(r.next(), ['publish', 'publishIfOk']);
  });
});

describe('cancelPending', () => {
  test('cancels what has not started, leaves running tasks to end, and nothing starts afterwards', () => {
    const r = run([task('a'), task('b'), task('c', { dependsOn: ['a'] }), task('d')]);
    assert.deepEqual(r.next(2), ['a', 'b']);
    r.scheduler.cancelPending('cancelled: the run was cancelled');
    assert.equal(r.status('a'), 'running');
    assert.deepEqual(r.state('c'), { status: 'cancelled', message: 'cancelled: the run was cancelled' });
    assert.equal(r.status('d'), 'cancelled', 'ready but not started: cancelled too');
    assert.deepEqual(r.next(), []);
    assert.equal(r.scheduler.done, false);
    r.finish('a', 'cancelled');
    r.finish('b', 'succeeded');
    assert.deepEqual(r.next(), []);
    assert.equal(r.status('c'), 'cancelled', 'not revived by its dependency ending');
    assert.equal(r.scheduler.done, true);
    assert.deepEqual(r.scheduler.counts(), {
      pending: 0,
      running: 0,
      succeeded: 1,
      failed: 0,
      skipped: 0,
      cancelled: 3,
    });
  });
});

describe('resuming from carried states', () => {
  const tasks = [
    task('a'),
    task('b'),
    task('c', { dependsOn: ['a', 'b'], command: 'echo ${{ tasks.a.outputs.v }}' }),
    task('d', { dependsOn: ['c'] }),
    task('e', { dependsOn: ['a'] }),
  ];

  test('succeeded nodes stay, pending ones whose dependencies ended are ready, outputs feed templates', () => {
    const r = run(tasks, {}, (keys) =>
      keys.map((k): NodeState => {
        if (k === 'a') return { status: 'succeeded', outputs: { v: '42' }, worker: 'w1', attempts: 1 };
        if (k === 'b') return { status: 'succeeded', reused: true };
        return { status: 'pending' };
      }),
    );
    assert.equal(r.scheduler.failing, false);
    assert.deepEqual(r.next(), ['c', 'e']);
    assert.deepEqual(r.contextFor('c').tasks.a, { status: 'succeeded', outputs: { v: '42' } });
    r.finish('c', 'succeeded');
    r.finish('e', 'succeeded');
    assert.deepEqual(r.next(), ['d']);
    r.finish('d', 'succeeded');
    assert.equal(r.scheduler.done, true);
    assert.equal(r.scheduler.counts().succeeded, 5);
  });

  test('states carried through packStates/unpackStates resume the same way', () => {
    const first = run(tasks);
    first.next();
    first.finish('a', 'succeeded', {
      outputs: { v: '7' },
      startedAt: '2024-05-01T10:00:00.000Z',
      finishedAt: '2024-05-01T10:00:01.500Z',
      worker: 'w1',
    });
    first.finish('b', 'succeeded');
    const packed = JSON.parse(JSON.stringify(packStates(first.states, Date.parse('2024-05-01T09:59:00.000Z'))));
    const second = run(tasks, {}, () => unpackStates(packed));
    assert.deepEqual(second.next(), ['c', 'e']);
    assert.deepEqual(second.contextFor('c').tasks.a, { status: 'succeeded', outputs: { v: '7' } });
    assert.equal(second.state('a').worker, 'w1');
  });

  test('a carried failure sets failing at once, and with failFast the ready nodes are skipped', () => {
    const r = run(tasks, {}, (keys) =>
      keys.map((k): NodeState =>
        k === 'a' ? { status: 'failed' } : k === 'b' ? { status: 'succeeded' } : { status: 'pending' },
      ),
    );
    assert.equal(r.scheduler.failing, true);
    assert.deepEqual(r.next(), []);
    assert.equal(r.scheduler.done, true);
  });

  test('a carried continueOnError failure does not set failing', () => {
    const lenient = [task('a', { continueOnError: true }), task('b', { dependsOn: ['a'] })];
    const r = run(lenient, {}, (keys) =>
      keys.map((k): NodeState => (k === 'a' ? { status: 'failed' } : { status: 'pending' })),
    );
    assert.equal(r.scheduler.failing, false);
    assert.deepEqual(r.next(), ['b']);
  });
});

describe('scale', () => {
  test('a 10,000-node layered DAG (100 x 100, two dependencies each) runs to completion', (t) => {
    const tasks = [];
    for (let layer = 0; layer < 100; layer++) {
      for (let j = 0; j < 100; j++) {
        tasks.push(
          task(
            `L${layer}_${j}`,
            layer === 0 ? {} : { dependsOn: [`L${layer - 1}_${j}`, `L${layer - 1}_${(j + 7) % 100}`] },
          ),
        );
      }
    }
    const start = performance.now();
    const r = run(tasks);
    const built = performance.now();
    let rounds = 0;
    while (!r.scheduler.done) {
      const { dispatch } = r.scheduler.next(10_000);
      assert.ok(dispatch.length > 0, `stuck after ${rounds} rounds: ${JSON.stringify(r.scheduler.counts())}`);
      for (const node of dispatch) r.scheduler.finish(node, { status: 'succeeded', outputs: { n: String(node) } });
      rounds += 1;
    }
    t.diagnostic(
      `scheduler, 10,000 nodes: parse+plan+constructor ${(built - start).toFixed(1)} ms, ${rounds} rounds ${(performance.now() - built).toFixed(1)} ms`,
    );
    assert.equal(rounds, 100, 'one round per layer');
    assert.deepEqual(r.scheduler.counts(), {
      pending: 0,
      running: 0,
      succeeded: 10_000,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    });
    assert.equal(r.scheduler.failing, false);
  });
});

describe('lazy skips (runs started with the dag-lazy-skips patch)', () => {
  test('without free slots nothing is judged: a false condition is skipped when its turn comes, FIFO kept', () => {
    const r = run(
      [task('a'), task('b', { when: 'false' }), task('c'), task('d', { dependsOn: ['b'] })],
      { failFast: false },
      undefined,
      true,
    );
    assert.deepEqual(r.next(1), ['a']);
    assert.equal(r.status('b'), 'pending', 'not judged while no slot was free');
    assert.deepEqual(r.next(1), ['c']);
    assert.equal(r.status('b'), 'skipped');
    assert.deepEqual(r.next(1), [], 'd is skipped too: its dependency was skipped');
    assert.equal(r.status('d'), 'skipped');
    r.finish('a', 'succeeded');
    r.finish('c', 'succeeded');
    assert.equal(r.scheduler.done, true);
    assert.deepEqual(r.scheduler.counts(), {
      pending: 0,
      running: 0,
      succeeded: 2,
      failed: 0,
      skipped: 2,
      cancelled: 0,
    });
  });

  test('failing fast skips every ready node at once, even with no slot free', () => {
    const r = run([task('a'), task('b'), task('c'), task('d')], {}, undefined, true);
    assert.deepEqual(r.next(1), ['a']);
    r.finish('a', 'failed');
    assert.deepEqual(r.next(0), []);
    assert.deepEqual(['b', 'c', 'd'].map(r.status), ['skipped', 'skipped', 'skipped']);
    assert.equal(r.scheduler.done, true);
  });

  test('counts follow every change without a rescan, and match a recount over 20,000 queued nodes', (t) => {
    const tasks = [task('root'), ...Array.from({ length: 20_000 }, (_x, i) => task(`f${i}`, { dependsOn: ['root'] }))];
    const r = run(tasks, {}, undefined, true);
    r.next(1);
    r.finish('root', 'succeeded');
    const start = performance.now();
    let steps = 0;
    while (!r.scheduler.done) {
      const { dispatch } = r.scheduler.next(1);
      for (const node of dispatch) r.scheduler.finish(node, { status: 'succeeded' });
      steps += 1;
      assert.equal(r.scheduler.counts().succeeded, steps + 1);
    }
    const ms = performance.now() - start;
    const recount = { pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
    for (const s of r.states) recount[s.status] += 1;
    assert.deepEqual(r.scheduler.counts(), recount);
    assert.equal(steps, 20_000, 'one node a step');
    // Eager judging would look at every queued node on each of these steps; lazily it is a queue walk.
    t.diagnostic(`20,000 single-slot steps over a 20,000-node ready queue: ${ms.toFixed(0)} ms`);
  });
});
