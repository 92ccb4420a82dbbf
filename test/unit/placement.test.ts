/** Placement logic without servers: quantities, submit-time fit, the worker's resource gate, fairness settings. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../config/env';
import { parseNodeClasses } from '../../config/node-classes';
import { ResourceGate, resourceGateFor } from '../../activities/shell/resource-gate';
import { checkDagSpec, checkTaskSpec } from '../../api/validate';
import { fairnessPolicy } from '../../api/placement/fairness';
import { parseCpu, parseMemory } from '../../workflows/contracts/resources';
import { taskPriority } from '../../workflows/task-priority';

const Mi = 2 ** 20;

describe('quantities', () => {
  test('CPU as Kubernetes writes it', () => {
    assert.equal(parseCpu(0.5), 500);
    assert.equal(parseCpu('500m'), 500);
    assert.equal(parseCpu('2'), 2000);
    assert.equal(parseCpu(2), 2000);
    for (const bad of ['', 'two', '-1', '0', '0.0001', '1.5k', '1e3']) assert.equal(parseCpu(bad), undefined, bad);
  });

  test('memory in binary and decimal units, or bytes', () => {
    assert.equal(parseMemory('512Mi'), 512 * Mi);
    assert.equal(parseMemory('2Gi'), 2 * 2 ** 30);
    assert.equal(parseMemory('1G'), 1e9);
    assert.equal(parseMemory('1.5Ki'), 1536);
    assert.equal(parseMemory(1048576), Mi);
    // "512m" is milli-bytes in Kubernetes, never what anyone means: refused rather than guessed.
    for (const bad of ['', '512m', '1GB', 'lots', '-1Mi', '0']) assert.equal(parseMemory(bad), undefined, bad);
  });
});

describe('submit-time fit', () => {
  const classes = parseNodeClasses(
    'nodeClasses:\n  - { name: small, concurrency: 4, pricePerHour: 0, resources: { cpu: 1, memory: 1Gi } }\n  - { name: free, concurrency: 1, pricePerHour: 0 }',
    'test',
  );

  test('a task larger than its class is refused naming resources.memory and what the class gives', () => {
    const { spec, issues } = checkTaskSpec(
      { nodeClass: 'small', command: 'true', resources: { memory: '2Gi', cpu: '500m' } },
      classes,
    );
    assert.equal(spec, undefined);
    assert.deepEqual(
      issues.map((i) => i.field),
      ['resources.memory'],
    );
    assert.match(issues[0]!.message, /asks for 2Gi of memory, but a worker of node class "small" gives 1Gi/);
  });

  test('CPU too, and a bad quantity names its field', () => {
    const cpu = checkTaskSpec({ nodeClass: 'small', command: 'true', resources: { cpu: 2 } }, classes);
    assert.match(cpu.issues[0]!.message, /asks for 2 CPU, but .* gives 1/);
    assert.equal(cpu.issues[0]!.field, 'resources.cpu');
    const bad = checkTaskSpec({ nodeClass: 'small', command: 'true', resources: { memory: '512m' } }, classes);
    assert.equal(bad.issues[0]!.field, 'resources.memory');
    assert.match(bad.issues[0]!.message, /must be a memory quantity/);
  });

  test('a class without resources does no accounting', () => {
    const { spec } = checkTaskSpec({ nodeClass: 'free', command: 'true', resources: { memory: '64Gi' } }, classes);
    assert.ok(spec);
  });

  test('DAG tasks are checked with their path; stack tasks take no resources', () => {
    const { issues } = checkDagSpec(
      {
        name: 'd',
        tasks: [
          { id: 'ok', nodeClass: 'small', command: 'true', resources: { memory: '256Mi' } },
          { id: 'big', nodeClass: 'small', command: 'true', resources: { memory: '1.5Gi' } },
          { id: 's', nodeClass: 'small', stack: { project: 'p', stack: 's' }, resources: { cpu: 1 } },
        ],
      },
      classes,
      { maxExpandedTasks: 100, maxMatrixBranches: 10 },
    );
    assert.deepEqual(
      issues.map((i) => i.field),
      ['tasks[1].resources.memory', 'tasks[2].resources'],
    );
  });
});

describe('resource gate', () => {
  const settle = () => new Promise((r) => setImmediate(r));

  test('a class without resources still runs no more attempts at once than its concurrency', async () => {
    // The class queue's worker and the host queue's worker of one process share this gate.
    const gate = resourceGateFor(undefined, 2);
    const first = await gate.acquire(gate.requestOf({ memory: '64Gi' }));
    const second = await gate.acquire(gate.requestOf(undefined));
    assert.equal(
      gate.neverFits(gate.requestOf({ cpu: 64 })),
      undefined,
      'nothing is too big for a class without resources',
    );
    let thirdIn = false;
    const third = gate.acquire(gate.requestOf(undefined)).then((release) => {
      thirdIn = true;
      return release;
    });
    await settle();
    assert.equal(thirdIn, false, 'a third attempt waits for a slot');
    second();
    (await third)();
    assert.equal(thirdIn, true);
    first();
  });

  test('two requests whose sum exceeds the worker do not hold at once; two that fit do', async () => {
    const gate = new ResourceGate({ memoryBytes: 1024 * Mi }, 4);
    const first = await gate.acquire(gate.requestOf({ memory: '768Mi' }));
    let secondIn = false;
    const second = gate.acquire(gate.requestOf({ memory: '768Mi' })).then((release) => {
      secondIn = true;
      return release;
    });
    await settle();
    assert.equal(secondIn, false);
    first();
    (await second)();
    assert.equal(secondIn, true);
    const a = await gate.acquire(gate.requestOf({ memory: '256Mi' }));
    const b = await gate.acquire(gate.requestOf({ memory: '256Mi' }));
    assert.equal(gate.held.memoryBytes, 512 * Mi);
    a();
    b();
    assert.equal(gate.held.memoryBytes, 0);
  });

  test('a task without resources counts as an equal share, and first come is first served', async () => {
    const gate = new ResourceGate({ cpuMillis: 2000, memoryBytes: 1024 * Mi }, 4);
    assert.deepEqual(gate.requestOf(undefined), { cpuMillis: 500, memoryBytes: 256 * Mi });
    const held = await gate.acquire(gate.requestOf({ memory: '512Mi' }));
    const order: string[] = [];
    const big = gate.acquire(gate.requestOf({ memory: '1Gi' })).then((r) => (order.push('big'), r));
    // Fits now, but waits behind the large one so that a stream of small tasks cannot starve it.
    const small = gate.acquire(gate.requestOf({ memory: '256Mi' })).then((r) => (order.push('small'), r));
    await settle();
    assert.deepEqual(order, []);
    held();
    (await big)();
    (await small)();
    assert.deepEqual(order, ['big', 'small']);
  });

  test('an aborted wait leaves the queue and lets the next in', async () => {
    const gate = new ResourceGate({ memoryBytes: 1024 * Mi }, 2);
    const held = await gate.acquire(gate.requestOf({ memory: '768Mi' }));
    const controller = new AbortController();
    const aborted = gate.acquire(gate.requestOf({ memory: '1Gi' }), controller.signal);
    const small = gate.acquire(gate.requestOf({ memory: '256Mi' }));
    controller.abort(new Error('cancelled'));
    await assert.rejects(aborted, /cancelled/);
    (await small)();
    held();
    assert.equal(gate.waiting, 0);
    assert.match(gate.neverFits(gate.requestOf({ memory: '2Gi' })) ?? '', /asks for 2Gi .* gives 1Gi/);
  });
});

describe('fairness settings', () => {
  test('label and weights from the environment', () => {
    const config = loadConfig({ CAPSTAN_FAIRNESS_LABEL: 'team', CAPSTAN_FAIRNESS_WEIGHTS: 'team-a=2, team-b=0.5' });
    assert.deepEqual(config.fairness, { label: 'team', weights: { 'team-a': 2, 'team-b': 0.5 } });
    assert.equal(loadConfig({}).fairness, undefined);
  });

  test('bad settings name the variable', () => {
    assert.throws(
      () => loadConfig({ CAPSTAN_FAIRNESS_WEIGHTS: 'a=1' }),
      /CAPSTAN_FAIRNESS_WEIGHTS: needs CAPSTAN_FAIRNESS_LABEL/,
    );
    assert.throws(
      () => loadConfig({ CAPSTAN_FAIRNESS_LABEL: 'team', CAPSTAN_FAIRNESS_WEIGHTS: 'a:1' }),
      (err: unknown) =>
        err instanceof ConfigError && /CAPSTAN_FAIRNESS_WEIGHTS: must be comma-separated/.test(err.message),
    );
    assert.throws(
      () => loadConfig({ CAPSTAN_FAIRNESS_LABEL: 'team', CAPSTAN_FAIRNESS_WEIGHTS: 'a=5000' }),
      /between 0.001 and 1000/,
    );
    assert.throws(() => loadConfig({ CAPSTAN_FAIRNESS_LABEL: 'Team!' }), /CAPSTAN_FAIRNESS_LABEL: must be a lowercase/);
  });

  test("a run's team label becomes its fairness key, with its weight", () => {
    const config = { label: 'team', weights: { 'team-a': 2 } };
    assert.deepEqual(fairnessPolicy({ team: 'team-a' }, config, 'task spec'), {
      fairness: { key: 'team-a', weight: 2 },
    });
    assert.deepEqual(fairnessPolicy({ team: 'team-b' }, config, 'task spec'), { fairness: { key: 'team-b' } });
    assert.deepEqual(fairnessPolicy({ other: 'x' }, config, 'task spec'), {});
    assert.deepEqual(fairnessPolicy({ team: 'team-a' }, undefined, 'task spec'), {});
    assert.throws(
      () => fairnessPolicy({ team: 'x'.repeat(65) }, config, 'task spec'),
      (err: { details?: Array<{ field: string }> }) => err.details?.[0]?.field === 'labels.team',
    );
  });

  test('the schedule command gets the priority key and the fairness key and weight, or nothing when neither is set', () => {
    const policy = { taskQueue: 'q', heartbeatTimeoutSeconds: 20, infraMaxAttempts: 10 };
    assert.equal(taskPriority(undefined, policy), undefined);
    assert.deepEqual(taskPriority(2, policy), { priorityKey: 2 });
    assert.deepEqual(taskPriority(3, { ...policy, fairness: { key: 'team-a', weight: 2 } }), {
      priorityKey: 3,
      fairnessKey: 'team-a',
      fairnessWeight: 2,
    });
  });
});
