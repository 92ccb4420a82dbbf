/** DAG validation: ids, dependencies, cycles, node classes, expression references, matrices, limits, scale. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { DagSpecSchema } from '../../workflows/contracts/dag-spec';
import { findCycle, validateDag, type DagIssue, type DagLimits } from '../../workflows/dag/validate';

const CLASSES = ['linux', 'mac'];
const LIMITS: DagLimits = { maxExpandedTasks: 20_000, maxMatrixBranches: 256 };

const task = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  nodeClass: 'linux',
  command: 'true',
  ...extra,
});
const parse = (tasks: unknown[], extra: Record<string, unknown> = {}) =>
  DagSpecSchema.parse({ name: 'v', tasks, ...extra });
const issuesOf = (tasks: unknown[], limits: DagLimits = LIMITS): DagIssue[] =>
  validateDag(parse(tasks), CLASSES, limits);

function only(issues: DagIssue[], field: string, message: RegExp): void {
  assert.equal(issues.length, 1, JSON.stringify(issues));
  assert.equal(issues[0]!.field, field);
  assert.match(issues[0]!.message, message);
}

describe('a valid DAG', () => {
  test('has no issues', () => {
    assert.deepEqual(
      issuesOf([
        task('build', { command: 'make', env: { OUT: 'dist' } }),
        task('test', {
          dependsOn: ['build'],
          matrix: { os: ['linux', 'mac'] },
          nodeClass: 'mac',
          args: ['${{ matrix.os }}', '${{ tasks.build.outputs.version }}'],
        }),
        task('deploy', {
          dependsOn: ['test'],
          when: "tasks.test.status == 'succeeded' && tasks.build.outputs.version != ''",
        }),
      ]),
      [],
    );
  });
});

describe('hosts', () => {
  test('a command task may name a host; a stack task may not, and a bad name is refused by the schema', () => {
    assert.deepEqual(issuesOf([task('a', { host: 'db-1' })]), []);
    only(
      issuesOf([task('a'), { id: 's', nodeClass: 'linux', host: 'db-1', stack: { project: 'p', stack: 's' } }]),
      'tasks[1].host',
      /stack task/,
    );
    const bad = DagSpecSchema.safeParse({ name: 'v', tasks: [task('a', { host: 'db 1' })] });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error!.issues[0]!.path, ['tasks', 0, 'host']);
  });
});

describe('ids and dependencies', () => {
  test('a duplicate id is reported at its second place, naming the first', () => {
    only(issuesOf([task('a'), task('b'), task('a')]), 'tasks[2].id', /^duplicate task id "a" \(also tasks\[0\]\)$/);
  });

  test('an unknown dependency names its place and suggests a close id', () => {
    only(
      issuesOf([task('build'), task('test', { dependsOn: ['build', 'buid'] })]),
      'tasks[1].dependsOn[1]',
      /^unknown task "buid"; did you mean "build"\?$/,
    );
    only(
      issuesOf([task('build'), task('test', { dependsOn: ['Build'] })]),
      'tasks[1].dependsOn[0]',
      /did you mean "build"\?/,
    );
    only(
      issuesOf([task('build'), task('test', { dependsOn: ['builds'] })]),
      'tasks[1].dependsOn[0]',
      /did you mean "build"\?/,
    );
  });

  test('an unknown dependency far from every id has no suggestion', () => {
    only(
      issuesOf([task('build'), task('test', { dependsOn: ['deploy'] })]),
      'tasks[1].dependsOn[0]',
      /^unknown task "deploy"$/,
    );
  });

  test('a task depending on itself is a cycle a → a', () => {
    only(issuesOf([task('x'), task('a', { dependsOn: ['a'] })]), 'tasks[1].dependsOn', /^dependency cycle: a → a$/);
  });

  test('a 3-cycle is printed as a path back to its start', () => {
    only(
      issuesOf([
        task('a', { dependsOn: ['b'] }),
        task('b', { dependsOn: ['c'] }),
        task('c', { dependsOn: ['a'] }),
        task('free'),
      ]),
      'tasks[0].dependsOn',
      /^dependency cycle: a → b → c → a$/,
    );
  });

  test('a cycle below an acyclic entry point starts at the first task of the cycle', () => {
    const issues = issuesOf([
      task('entry', { dependsOn: ['b'] }),
      task('b', { dependsOn: ['c'] }),
      task('c', { dependsOn: ['d'] }),
      task('d', { dependsOn: ['b'] }),
    ]);
    only(issues, 'tasks[1].dependsOn', /^dependency cycle: b → c → d → b$/);
  });

  test('a diamond is not a cycle', () => {
    assert.equal(
      findCycle(
        parse([
          task('a'),
          task('b', { dependsOn: ['a'] }),
          task('c', { dependsOn: ['a'] }),
          task('d', { dependsOn: ['b', 'c'] }),
        ]),
      ),
      undefined,
    );
  });
});

describe('command or script', () => {
  const rule = {};

  test('a task with neither command nor script is refused', rule, () => {
    only(issuesOf([task('a', { command: undefined })]), 'tasks[0].command', /exactly one of "command" or "script"/);
  });

  test('a task with both command and script is refused', rule, () => {
    only(issuesOf([task('a', { script: 'echo ignored' })]), 'tasks[0].command', /exactly one of "command" or "script"/);
  });
});

describe('node classes', () => {
  test('an unknown node class lists the valid ones', () => {
    only(
      issuesOf([task('a', { nodeClass: 'gpu' })]),
      'tasks[0].nodeClass',
      /^unknown node class "gpu"; valid: linux, mac$/,
    );
  });
});

describe('references in conditions and templates', () => {
  test('a template referring to a task that is not upstream is refused, with the fix', () => {
    only(
      issuesOf([task('a'), task('b', { command: 'echo ${{ tasks.a.outputs.v }}' })]),
      'tasks[1].command',
      /^tasks\.a: "a" is not upstream of "b" \(add it to dependsOn\)$/,
    );
  });

  test('a condition referring to a downstream task is refused', () => {
    only(
      issuesOf([task('a', { when: "tasks.b.status == 'succeeded'" }), task('b', { dependsOn: ['a'] })]),
      'tasks[0].when',
      /"b" is not upstream of "a"/,
    );
  });

  test('a reference to a task that does not exist says so', () => {
    only(
      issuesOf([task('a'), task('b', { dependsOn: ['a'], env: { V: '${{ tasks.nope.outputs.v }}' } })]),
      'tasks[1].env.V',
      /^tasks\.nope: unknown task "nope"$/,
    );
  });

  test('a transitive ancestor may be referred to in templates and conditions', () => {
    assert.deepEqual(
      issuesOf([
        task('a'),
        task('b', { dependsOn: ['a'] }),
        task('c', {
          dependsOn: ['b'],
          when: "tasks.a.outputs.go == 'yes'",
          workingDirectory: 'out/${{ tasks.a.outputs.dir }}',
          script: 'echo ${{ tasks.a.status }}',
          command: undefined,
        }),
      ]),
      [],
    );
  });

  test('each templated field is named by its place: command, script, args[i], env.NAME, workingDirectory', () => {
    const issues = issuesOf([
      task('a'),
      task('b', {
        command: undefined,
        script: 'echo ${{ tasks.a.outputs.x }}',
        args: ['plain', '${{ tasks.a.outputs.y }}'],
        env: { FOO: '${{ tasks.a.outputs.z }}' },
        workingDirectory: '${{ tasks.a.outputs.w }}',
      }),
    ]);
    assert.deepEqual(issues.map((i) => i.field).sort(), [
      'tasks[1].args[1]',
      'tasks[1].env.FOO',
      'tasks[1].script',
      'tasks[1].workingDirectory',
    ]);
  });

  test('a malformed template is reported with its position in the field', () => {
    only(
      issuesOf([task('a'), task('b', { dependsOn: ['a'], args: ['ok', 'v=${{ tasks.a.outputs.v '] })]),
      'tasks[1].args[1]',
      /^unclosed '\$\{\{' at 2$/,
    );
    only(
      issuesOf([task('a'), task('b', { dependsOn: ['a'], env: { E: '${{ tasks.a.outputs.v ) }}' } })]),
      'tasks[1].env.E',
      /^expected '}}', found '\)' at 22$/,
    );
  });

  test('a malformed condition is reported with a position', () => {
    only(
      issuesOf([task('a'), task('b', { dependsOn: ['a'], when: "tasks.a.status == 'ok' &&" })]),
      'tasks[1].when',
      / at \d+$/,
    );
  });

  test('text without ${{ is not parsed as a template', () => {
    assert.deepEqual(issuesOf([task('a', { command: 'echo ${HOME} $1 }} {{', env: { X: '${X:-y}' } })]), []);
  });

  test('expressions are not checked while ids or dependencies are broken (those are reported alone)', () => {
    only(issuesOf([task('a', { dependsOn: ['zzz'], when: '(((' })]), 'tasks[0].dependsOn[0]', /unknown task "zzz"/);
  });
});

describe('matrix keys', () => {
  test('a matrix task may use its own keys', () => {
    assert.deepEqual(
      issuesOf([task('t', { matrix: { os: ['l'], node: [18] }, command: 'run ${{ matrix.os }} ${{ matrix.node }}' })]),
      [],
    );
  });

  test('an unknown matrix key is refused', () => {
    only(
      issuesOf([task('t', { matrix: { os: ['l'] }, command: 'echo ${{ matrix.arch }}' })]),
      'tasks[0].command',
      /^matrix\.arch: task "t" has no matrix key "arch"$/,
    );
  });

  test('a task without a matrix may not use matrix values', () => {
    only(issuesOf([task('t', { when: "matrix.os == 'l'" })]), 'tasks[0].when', /task "t" has no matrix key "os"/);
  });

  test('a downstream task may not use the matrix of its upstream task', () => {
    only(
      issuesOf([
        task('m', { matrix: { os: ['l'] } }),
        task('d', { dependsOn: ['m'], command: 'echo ${{ matrix.os }}' }),
      ]),
      'tasks[1].command',
      /task "d" has no matrix key "os"/,
    );
  });

  test('names of Object.prototype members are not matrix keys', () => {
    only(
      issuesOf([task('t', { matrix: { os: ['l'] }, command: 'echo ${{ matrix.constructor }}' })]),
      'tasks[0].command',
      /no matrix key "constructor"/,
    );
  });
});

describe('size limits', () => {
  const values = (n: number) => Array.from({ length: n }, (_, i) => i);

  test('a matrix over the branch limit names its size and the limit', () => {
    only(
      issuesOf([task('t', { matrix: { x: values(10), y: values(10) } })], {
        maxExpandedTasks: 1000,
        maxMatrixBranches: 64,
      }),
      'tasks[0].matrix',
      /^expands to 100 branches, over the limit of 64$/,
    );
  });

  test('a matrix exactly at the branch limit is accepted', () => {
    assert.deepEqual(
      issuesOf([task('t', { matrix: { x: values(8), y: values(8) } })], {
        maxExpandedTasks: 1000,
        maxMatrixBranches: 64,
      }),
      [],
    );
  });

  test('the total, matrices included, is checked against the task limit', () => {
    const tasks = [task('a'), task('b', { matrix: { x: values(3) } }), task('c', { matrix: { x: values(3) } })];
    assert.deepEqual(issuesOf(tasks, { maxExpandedTasks: 7, maxMatrixBranches: 64 }), []);
    only(
      issuesOf(tasks, { maxExpandedTasks: 6, maxMatrixBranches: 64 }),
      'tasks',
      /^expands to 7 tasks \(matrices included\), over the limit of 6$/,
    );
  });

  test('a 1000 x 1000 x 1000 matrix is refused without expanding it', () => {
    // In a child with a small heap, so that the bug fails this test instead of crashing the runner.
    const script = `
      const { DagSpecSchema } = require(${JSON.stringify(join(__dirname, '../../workflows/contracts/dag-spec.js'))});
      const { validateDag } = require(${JSON.stringify(join(__dirname, '../../workflows/dag/validate.js'))});
      const v = Array.from({ length: 1000 }, (_, i) => i);
      const spec = DagSpecSchema.parse({ name: 'big', tasks: [{ id: 't', nodeClass: 'linux', command: 'true', matrix: { x: v, y: v, z: v } }] });
      process.stdout.write(JSON.stringify(validateDag(spec, ['linux'], { maxExpandedTasks: 20000, maxMatrixBranches: 256 })));
    `;
    const child = spawnSync(process.execPath, ['--max-old-space-size=64', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(
      child.status,
      0,
      `validation crashed (signal ${child.signal}): ${child.stderr.split('\n').slice(0, 3).join(' ')}`,
    );
    assert.match(child.stdout, /expands to 1000000000 branches, over the limit of 256/);
  });
});

describe('scale: 10,000 tasks', () => {
  const N = 10_000;
  const chain = (reverse: boolean) => {
    const tasks = Array.from({ length: N }, (_, i) => task(`t${i}`, i === 0 ? {} : { dependsOn: [`t${i - 1}`] }));
    return parse(reverse ? tasks.reverse() : tasks);
  };

  for (const reverse of [false, true]) {
    test(`a chain t0 ← t1 ← ... ← t9999 (listed ${reverse ? 'deepest first' : 'in order'}) validates without a stack overflow`, (t) => {
      const spec = chain(reverse);
      const start = performance.now();
      const issues = validateDag(spec, CLASSES, LIMITS);
      t.diagnostic(
        `validateDag on a ${N}-task chain (${reverse ? 'deepest first' : 'in order'}): ${(performance.now() - start).toFixed(1)} ms`,
      );
      assert.deepEqual(issues, []);
    });
  }

  test('a cycle through all 10,000 tasks is found and printed whole', () => {
    const spec = chain(false);
    spec.tasks[0]!.dependsOn = [`t${N - 1}`];
    const cycle = findCycle(spec);
    assert.ok(cycle, 'no cycle found');
    assert.equal(cycle.length, N + 1);
    assert.equal(cycle[0], cycle[N]);
  });

  test('a layered DAG (100 layers x 100, each task on 2 of the previous layer) validates', (t) => {
    const tasks = [];
    for (let layer = 0; layer < 100; layer++) {
      for (let j = 0; j < 100; j++) {
        tasks.push(
          task(
            `L${layer}_${j}`,
            layer === 0 ? {} : { dependsOn: [`L${layer - 1}_${j}`, `L${layer - 1}_${(j + 1) % 100}`] },
          ),
        );
      }
    }
    const spec = parse(tasks);
    const start = performance.now();
    const issues = validateDag(spec, CLASSES, LIMITS);
    t.diagnostic(`validateDag on a 100 x 100 layered DAG: ${(performance.now() - start).toFixed(1)} ms`);
    assert.deepEqual(issues, []);
  });
});
