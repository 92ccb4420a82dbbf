/** DAG plan: matrix expansion (order, keys, cross products), dependencies by node, expanded size. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DagSpecSchema } from '../../workflows/contracts/dag-spec';
import { buildPlan, expandedSize, matrixCombinations } from '../../workflows/dag/plan';

const task = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  nodeClass: 'linux',
  command: 'true',
  ...extra,
});
const parse = (tasks: unknown[]) => DagSpecSchema.parse({ name: 'plan', tasks });

describe('matrixCombinations', () => {
  test('one axis keeps the written order of its values', () => {
    assert.deepEqual(matrixCombinations({ n: [3, 1, 2] }), [{ n: 3 }, { n: 1 }, { n: 2 }]);
  });

  test('two axes give their cross product, the first axis outermost', () => {
    assert.deepEqual(matrixCombinations({ os: ['linux', 'mac'], node: [18, 20, 22] }), [
      { os: 'linux', node: 18 },
      { os: 'linux', node: 20 },
      { os: 'linux', node: 22 },
      { os: 'mac', node: 18 },
      { os: 'mac', node: 20 },
      { os: 'mac', node: 22 },
    ]);
  });

  test('strings, numbers and booleans are kept with their types', () => {
    assert.deepEqual(matrixCombinations({ flag: [true, false], v: ['1', 1] }), [
      { flag: true, v: '1' },
      { flag: true, v: 1 },
      { flag: false, v: '1' },
      { flag: false, v: 1 },
    ]);
  });
});

describe('buildPlan', () => {
  test('a plain task is one node keyed by its id, without matrix values', () => {
    const plan = buildPlan(parse([task('build'), task('lint', { dependsOn: ['build'] })]));
    assert.deepEqual(plan.nodes, [
      { key: 'build', task: 0, deps: [] },
      { key: 'lint', task: 1, deps: [0] },
    ]);
    assert.deepEqual(plan.nodesOfTask, [[0], [1]]);
  });

  test('a matrix task expands to test[0], test[1], ... in combination order, each with its values', () => {
    const plan = buildPlan(
      parse([task('setup'), task('test', { dependsOn: ['setup'], matrix: { os: ['linux', 'mac'], node: [18, 20] } })]),
    );
    assert.deepEqual(
      plan.nodes.map((n) => n.key),
      ['setup', 'test[0]', 'test[1]', 'test[2]', 'test[3]'],
    );
    assert.deepEqual(
      plan.nodes.slice(1).map((n) => n.matrix),
      [
        { os: 'linux', node: 18 },
        { os: 'linux', node: 20 },
        { os: 'mac', node: 18 },
        { os: 'mac', node: 20 },
      ],
    );
    assert.ok(
      plan.nodes.slice(1).every((n) => n.task === 1 && n.deps.length === 1 && n.deps[0] === 0),
      'every branch waits for setup',
    );
    assert.deepEqual(plan.nodesOfTask, [[0], [1, 2, 3, 4]]);
  });

  test('a task that depends on a matrix task waits for every branch', () => {
    const plan = buildPlan(
      parse([
        task('test', { matrix: { shard: [1, 2, 3] } }),
        task('lint'),
        task('report', { dependsOn: ['lint', 'test'] }),
      ]),
    );
    const report = plan.nodes.find((n) => n.key === 'report')!;
    const keys = report.deps.map((d) => plan.nodes[d]!.key);
    assert.deepEqual(keys, ['lint', 'test[0]', 'test[1]', 'test[2]'], 'dependsOn order, branches in matrix order');
  });

  test('a matrix task after a matrix task: each branch waits for all upstream branches', () => {
    const plan = buildPlan(
      parse([
        task('build', { matrix: { arch: ['x64', 'arm64'] } }),
        task('test', { dependsOn: ['build'], matrix: { shard: [1, 2, 3] } }),
      ]),
    );
    const buildNodes = plan.nodesOfTask[0]!;
    for (const n of plan.nodesOfTask[1]!) assert.deepEqual(plan.nodes[n]!.deps, buildNodes, plan.nodes[n]!.key);
    assert.equal(plan.nodes.length, 5);
  });

  test('tasks are expanded in spec order even when a dependency is listed later', () => {
    const plan = buildPlan(
      parse([task('deploy', { dependsOn: ['build'] }), task('build', { matrix: { os: ['a', 'b'] } })]),
    );
    assert.deepEqual(
      plan.nodes.map((n) => n.key),
      ['deploy', 'build[0]', 'build[1]'],
    );
    assert.deepEqual(plan.nodes[0]!.deps, [1, 2]);
  });
});

describe('expandedSize', () => {
  test('counts plain tasks once and a matrix task as the product of its axis lengths', () => {
    const spec = parse([
      task('a'),
      task('b', { matrix: { os: ['l', 'm', 'w'], node: [1, 2] } }),
      task('c', { matrix: { x: [1, 2, 3, 4] } }),
    ]);
    assert.equal(expandedSize(spec), 1 + 6 + 4);
    assert.equal(expandedSize(spec), buildPlan(spec).nodes.length, 'agrees with the plan it predicts');
  });

  test('does not build the combinations: a 1000 x 1000 x 1000 matrix is counted, not expanded', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    assert.equal(expandedSize(parse([task('huge', { matrix: { x: values, y: values, z: values } })])), 1_000_000_000);
  });
});
