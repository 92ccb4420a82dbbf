/** DAG defaults travel as values: filling them in matches the schema today, and never consults it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currentDagDefaults, DagSpecSchema, type DagSpecInput } from '../../workflows/contracts/dag-spec';
import { applyDagDefaults, dagSpecOf, LEGACY_DAG_DEFAULTS } from '../../workflows/dag/defaults';

const specs: DagSpecInput[] = [
  { name: 'bare', tasks: [{ id: 'a', nodeClass: 'linux', command: 'true' }] },
  {
    name: 'full',
    maxParallel: 7,
    failFast: false,
    priority: 1,
    labels: { team: 'search' },
    tasks: [
      {
        id: 'a',
        nodeClass: 'linux',
        script: 'echo a',
        args: ['x'],
        env: { K: 'v' },
        timeoutSeconds: 5,
        retry: { maxAttempts: 3 },
        priority: 2,
      },
      {
        id: 'b',
        nodeClass: 'linux',
        command: 'echo ${{ matrix.n }}',
        dependsOn: ['a'],
        continueOnError: true,
        matrix: { n: [1, 2] },
        when: "tasks.a.status == 'succeeded'",
      },
      { id: 'c', nodeClass: 'pulumi', dependsOn: ['b'], stack: { project: 'shop', stack: 'db' } },
      { id: 'd', nodeClass: 'pulumi', stack: { project: 'shop', stack: 'db', operation: 'preview' } },
    ],
  },
];

describe('applyDagDefaults', () => {
  test('with the current defaults, gives what the schema gives', () => {
    for (const spec of specs) {
      assert.deepEqual(applyDagDefaults(spec, currentDagDefaults()), DagSpecSchema.parse(spec), spec.name);
    }
  });

  test("fills in the defaults it is given, not the schema's", () => {
    const legacy = LEGACY_DAG_DEFAULTS;
    const retry = { ...legacy.task.retry, maxAttempts: 4 };
    const given = { ...legacy, maxParallel: 3, task: { ...legacy.task, timeoutSeconds: 60, retry } };
    const spec = applyDagDefaults(specs[1]!, given);
    assert.equal(spec.maxParallel, 7, 'a value the spec gives wins');
    assert.equal(applyDagDefaults(specs[0]!, given).maxParallel, 3);
    assert.equal(spec.tasks[0]!.timeoutSeconds, 5);
    assert.equal(spec.tasks[1]!.timeoutSeconds, 60);
    const partial = { maxAttempts: 3, initialIntervalSeconds: 1, backoffCoefficient: 2, maxIntervalSeconds: 60 };
    assert.deepEqual(spec.tasks[0]!.retry, partial, 'a partial retry keeps its fields');
    assert.equal(spec.tasks[1]!.retry.maxAttempts, 4);
    assert.equal(spec.tasks[2]!.stack!.operation, 'up');
    assert.equal(spec.tasks[3]!.stack!.operation, 'preview');
  });

  test('a run started without defaults (recorded before they were sent) uses the frozen legacy ones', () => {
    assert.deepEqual(dagSpecOf({ spec: specs[0]! }), applyDagDefaults(specs[0]!, LEGACY_DAG_DEFAULTS));
    const given = { ...LEGACY_DAG_DEFAULTS, priority: 5 };
    assert.equal(dagSpecOf({ spec: specs[0]!, defaults: given }).priority, 5);
  });
});
