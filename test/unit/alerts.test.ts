/** Alert rules apart from I/O: the rules file's validation, each kind's judgement, and the once-per-change state machine. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { judgeRule, type RuleFigures } from '../../activities/alerts/judge';
import { alertPayload } from '../../activities/alerts/notify';
import { decideAlert } from '../../activities/alerts/transition';
import { AlertConfigError, loadAlertFile, parseAlertFile } from '../../config/alerts';
import { loadNodeClasses, type NodeClass } from '../../config/node-classes';
import { REPO_ROOT } from '../../config/paths';
import type { AlertState } from '../../workflows/contracts/alert-rules';
import { AlertRuleSchema, type AlertRule } from '../../workflows/contracts/alert-rules';

const CLASSES: NodeClass[] = [
  { name: 'a', concurrency: 1, pricePerHour: 0, labels: {} },
  { name: 'gpu', concurrency: 1, pricePerHour: 0, labels: {} },
];
const rule = (r: Record<string, unknown>): AlertRule => AlertRuleSchema.parse({ name: 'r', ...r });

describe('the rules file', () => {
  test('the shipped default is valid against the shipped node classes', () => {
    const classes = loadNodeClasses(join(REPO_ROOT, 'config', 'node-classes.yaml'));
    const file = loadAlertFile(join(REPO_ROOT, 'config', 'alerts.yaml'), classes);
    assert.ok(file.rules.length >= 4);
    assert.equal(file.intervalSeconds, 60);
  });

  test('defaults fill in, and an empty file has no rules', () => {
    const file = parseAlertFile('rules:\n  - { name: q, kind: no-live-worker }\n', 'x.yaml', CLASSES);
    assert.deepEqual(file.rules[0], { name: 'q', kind: 'no-live-worker', forSeconds: 0 });
    assert.deepEqual(parseAlertFile('', 'x.yaml', CLASSES).rules, []);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['unknown kind', 'rules:\n  - { name: q, kind: cpu-hot }', /^bad\.yaml: rules\[0\]\.kind: /],
    [
      'a percentage over 100',
      'rules:\n  - { name: d, kind: worker-usage, resource: disk, overPercent: 120 }',
      /^bad\.yaml: rules\[0\]\.overPercent: must be a percentage/,
    ],
    [
      'a missing field',
      'rules:\n  - { name: f, kind: failure-rate, runKind: dag, windowSeconds: 60, overPercent: 50 }',
      /rules\[0\]\.runName: /,
    ],
    [
      'an unknown field',
      'rules:\n  - { name: q, kind: stack-drift, severity: high }',
      /rules\[0\]\.severity: is not a known field/,
    ],
    [
      'a duplicate name',
      'rules:\n  - { name: q, kind: stack-drift }\n  - { name: q, kind: stack-drift }',
      /rules\[1\]\.name: duplicate rule "q"/,
    ],
    [
      'an unconfigured class',
      'rules:\n  - { name: q, kind: no-live-worker, nodeClass: tpu }',
      /rules\[0\]\.nodeClass: node class "tpu" is not configured; use one of: a, gpu/,
    ],
    ['a bad interval', 'intervalSeconds: 0\nrules: []', /^bad\.yaml: intervalSeconds: /],
    ['not YAML', 'rules: [', /^bad\.yaml: not valid YAML/],
    ['a bad rule name', 'rules:\n  - { name: Disk Full, kind: stack-drift }', /rules\[0\]\.name: must be lowercase/],
  ];
  for (const [what, text, expected] of bad) {
    test(`refuses ${what}, naming the file and the field`, () => {
      assert.throws(
        () => parseAlertFile(text, 'bad.yaml', CLASSES),
        (err: Error) => err instanceof AlertConfigError && expected.test(err.message),
      );
    });
  }

  test('a missing file names the variable', () => {
    assert.throws(() => loadAlertFile('/nonexistent/alerts.yaml', CLASSES), /CAPSTAN_ALERTS_FILE/);
  });
});

describe('judging each kind of rule', () => {
  const queues: RuleFigures = {
    kind: 'queues',
    queues: [
      { nodeClass: 'a', tasks: 3, oldestWaitSeconds: 40, liveWorkers: 0 },
      { nodeClass: 'gpu', tasks: 5, oldestWaitSeconds: 900, liveWorkers: 2 },
      { nodeClass: 'idle', tasks: 0, oldestWaitSeconds: 0, liveWorkers: 0 },
    ],
  };

  test('no live worker: queued work and no live poller; an empty queue without workers is fine', () => {
    const found = judgeRule(rule({ kind: 'no-live-worker' }), queues);
    assert.deepEqual(
      found.map((f) => [f.subject, f.holds, f.value]),
      [
        ['a', true, 3],
        ['gpu', false, 5],
        ['idle', false, 0],
      ],
    );
    assert.match(found[0]!.message, /3 tasks queued .* 0 live workers/);
  });

  test('oldest wait over the limit', () => {
    const found = judgeRule(rule({ kind: 'oldest-wait', overSeconds: 600 }), queues);
    assert.deepEqual(
      found.filter((f) => f.holds).map((f) => f.subject),
      ['gpu'],
    );
  });

  test('worker disk and memory use against a percentage; a report with no total is not judged', () => {
    const worker = {
      identity: 'h/a/1',
      host: 'h',
      nodeClass: 'a',
      memoryTotalBytes: 1000,
      memoryAvailableBytes: 30,
      diskPath: '/w',
      diskTotalBytes: 1000,
      diskFreeBytes: 200,
    };
    const figures: RuleFigures = {
      kind: 'workers',
      workers: [worker, { ...worker, identity: 'h/a/2', diskTotalBytes: 0 }],
    };
    const disk = judgeRule(rule({ kind: 'worker-usage', resource: 'disk', overPercent: 90 }), figures);
    assert.deepEqual(
      disk.map((f) => [f.subject, f.holds, f.value]),
      [['h/a/1', false, 80]],
    );
    const memory = judgeRule(rule({ kind: 'worker-usage', resource: 'memory', overPercent: 90 }), figures);
    assert.deepEqual(
      memory.map((f) => [f.subject, f.holds, f.value]),
      [
        ['h/a/1', true, 97],
        ['h/a/2', true, 97],
      ],
    );
    assert.match(memory[0]!.message, /memory 97% used \(limit 90%\)/);
  });

  test('failure rate: over the threshold with enough runs, never under minRuns', () => {
    const r = rule({
      kind: 'failure-rate',
      runKind: 'dag',
      runName: 'nightly',
      windowSeconds: 3600,
      overPercent: 50,
      minRuns: 3,
    });
    const at = (ended: number, failed: number) => judgeRule(r, { kind: 'runs', ended, failed })[0]!;
    assert.equal(at(2, 2).holds, false, 'two runs are under minRuns');
    assert.equal(at(4, 2).holds, false, '50% is not over 50%');
    assert.deepEqual([at(4, 3).holds, at(4, 3).value, at(4, 3).subject], [true, 75, 'dag/nightly']);
    assert.equal(at(0, 0).holds, false);
  });

  test('stack drift: every drifted stack listed is a subject', () => {
    const found = judgeRule(rule({ kind: 'stack-drift' }), {
      kind: 'stacks',
      stacks: [{ project: 'p', stack: 'dev', resources: 2, checkedAt: new Date(0) }],
    });
    assert.deepEqual(
      found.map((f) => [f.subject, f.holds, f.value]),
      [['p/dev', true, 2]],
    );
  });

  test('figures of the wrong kind are an error, not a silent ok', () => {
    assert.throws(
      () => judgeRule(rule({ kind: 'stack-drift' }), { kind: 'runs', ended: 1, failed: 1 }),
      /needs stacks/,
    );
  });
});

describe('the state machine notifies each change once', () => {
  const holds = { subject: 's', holds: true, value: 1, message: 'bad' };
  const clear = { subject: 's', holds: false, value: 0, message: 'fine' };

  /** Runs evaluations at the given seconds, each holding or not; returns the events and the last state. */
  function run(forSeconds: number, steps: Array<[number, boolean | undefined]>) {
    let state: AlertState = 'ok';
    let since = new Date(0);
    const events: string[] = [];
    for (const [second, holding] of steps) {
      const now = new Date(second * 1000);
      const found = holding === undefined ? undefined : holding ? holds : clear;
      const d = decideAlert({ state, since, now }, found, forSeconds);
      if (d.event) events.push(`${d.event}@${second}`);
      if (d.changed) since = now;
      state = d.state;
    }
    return { events, state };
  }

  test('without forSeconds: fires on the first evaluation that holds, resolves on the first that does not', () => {
    const { events, state } = run(0, [
      [1, true],
      [2, true],
      [3, true],
      [4, false],
      [5, false],
    ]);
    assert.deepEqual(events, ['fired@1', 'resolved@4']);
    assert.equal(state, 'ok');
  });

  test('with forSeconds: pending until it held long enough; a blip under it never fires', () => {
    assert.deepEqual(
      run(10, [
        [0, true],
        [5, true],
        [6, false],
        [7, true],
        [12, true],
      ]).events,
      [],
    );
    const long = run(10, [
      [0, true],
      [5, true],
      [10, true],
      [15, true],
      [20, false],
    ]);
    assert.deepEqual(long.events, ['fired@10', 'resolved@20']);
  });

  test('a subject no longer observed resolves', () => {
    assert.deepEqual(
      run(0, [
        [1, true],
        [2, undefined],
      ]).events,
      ['fired@1', 'resolved@2'],
    );
  });

  test('flapping notifies each start and each end', () => {
    assert.deepEqual(
      run(0, [
        [1, true],
        [2, false],
        [3, true],
        [4, false],
      ]).events,
      ['fired@1', 'resolved@2', 'fired@3', 'resolved@4'],
    );
  });
});

test('the notification is a Slack-compatible body naming rule and subject', () => {
  const body = alertPayload({
    id: 1,
    rule: 'no-worker',
    subject: 'gpu',
    event: 'resolved',
    at: new Date('2026-01-01T01:00:00Z'),
    firedAt: new Date('2026-01-01T00:30:00Z'),
    value: 0,
    message: 'node class gpu: 0 tasks queued',
    sentAt: null,
    attempts: 0,
    lastError: null,
  });
  assert.match(body.text, /^:white_check_mark: Alert resolved: no-worker · gpu\nnode class gpu/);
  assert.equal((body.blocks[0] as any).type, 'header');
  assert.match(JSON.stringify(body.blocks[2]), /resolved after 30 min/);
});
