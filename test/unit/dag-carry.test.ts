/** Node states packed for continue-as-new: exact round trip, compact layout, size of 10,000 nodes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeState } from '../../workflows/contracts/dag-run';
import { MAX_CARRIED_LOG_TAILS, packStates, unpackStates } from '../../workflows/dag/carry';

const BASE = Date.parse('2024-05-01T10:00:00.000Z');
const at = (ms: number): string => new Date(BASE + ms).toISOString();
/** Through JSON, as Temporal carries it. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('packStates / unpackStates', () => {
  const states: NodeState[] = [
    { status: 'pending' },
    { status: 'running', startedAt: at(5) },
    {
      status: 'succeeded',
      attempts: 2,
      startedAt: at(1_000),
      finishedAt: at(61_234),
      worker: 'worker-a@host1',
      exitCode: 0,
      outputs: { version: '1.2.3', 'odd name': 'x=y\nz' },
    },
    {
      status: 'failed',
      attempts: 0,
      startedAt: at(0),
      finishedAt: at(10),
      worker: 'worker-b@host2',
      exitCode: 137,
      message: 'command exited with code 137',
      logTail: { stream: 'stderr', lines: ['Killed'], truncated: false },
    },
    { status: 'skipped', message: 'skipped: dependency a failed' },
    { status: 'cancelled', message: '' },
    {
      status: 'succeeded',
      reused: true,
      worker: 'worker-a@host1',
      startedAt: at(-3_600_000),
      finishedAt: at(-3_599_000),
      outputs: { v: '1' },
    },
    { status: 'succeeded', worker: 'worker-b@host2' },
  ];

  test('round-trips every field of every status, through JSON', () => {
    assert.deepEqual(unpackStates(viaJson(packStates(states, BASE))), states);
  });

  test('a different base gives back the same times', () => {
    assert.deepEqual(unpackStates(viaJson(packStates(states, BASE + 123_456))), states);
  });

  test('interns workers: each name is stored once and nodes keep its index', () => {
    const packed = packStates(states, BASE);
    assert.deepEqual(packed.workers, ['worker-a@host1', 'worker-b@host2']);
    assert.equal(packed.nodes[2]![4], 0);
    assert.equal(packed.nodes[3]![4], 1);
    assert.equal(packed.nodes[6]![4], 0);
  });

  test('stores times as milliseconds from the base and drops trailing empty fields', () => {
    const packed = packStates(states, BASE);
    assert.deepEqual(packed.nodes[0], [0], 'a pending node is just its status');
    assert.deepEqual(packed.nodes[1], [1, null, 5]);
    assert.deepEqual(packed.nodes[2]!.slice(0, 6), [2, 2, 1_000, 61_234, 0, 0]);
    assert.equal(packed.base, BASE);
  });

  test('keeps zero attempts, exit code 0 and an empty message', () => {
    const [failed, cancelled] = unpackStates(
      viaJson(
        packStates(
          [
            { status: 'failed', attempts: 0, exitCode: 0 },
            { status: 'cancelled', message: '' },
          ],
          BASE,
        ),
      ),
    );
    assert.deepEqual(failed, { status: 'failed', attempts: 0, exitCode: 0 });
    assert.deepEqual(cancelled, { status: 'cancelled', message: '' });
  });

  test('an empty list stays empty', () => {
    assert.deepEqual(unpackStates(viaJson(packStates([], BASE))), []);
  });
});

describe('size', () => {
  test('10,000 failed nodes with 2 KiB log tails still pack under 2 MB: only the first tails are carried', () => {
    const logTail = {
      stream: 'stderr' as const,
      lines: Array.from({ length: 20 }, () => 'e'.repeat(100)),
      truncated: true,
    };
    const states: NodeState[] = Array.from({ length: 10_000 }, (_, i) => ({
      status: 'failed',
      attempts: 1,
      exitCode: 3,
      message: `command exited with code 3: ${'e'.repeat(100)} (after 1 attempt)`,
      logTail,
      startedAt: at(i),
    }));
    const packed = JSON.stringify(packStates(states, BASE));
    assert.ok(Buffer.byteLength(packed) < 2 * 1024 * 1024, `${Buffer.byteLength(packed)} bytes`);
    const unpacked = unpackStates(JSON.parse(packed));
    assert.equal(unpacked.filter((s) => s.logTail).length, MAX_CARRIED_LOG_TAILS);
    assert.deepEqual(unpacked[0]!.logTail, logTail);
    assert.equal(unpacked[MAX_CARRIED_LOG_TAILS]!.logTail, undefined);
    assert.equal(unpacked[9_999]!.message, states[9_999]!.message, 'the message, quoting the last line, stays');
  });

  test('10,000 succeeded nodes with worker, times and small outputs pack well under 2 MB', (t) => {
    const workers = [
      'capstan-worker-linux-1@build-host-01',
      'capstan-worker-linux-2@build-host-02',
      'capstan-worker-mac-1@mac-mini-07',
    ];
    const states: NodeState[] = Array.from({ length: 10_000 }, (_, i) => ({
      status: 'succeeded',
      attempts: 1,
      startedAt: at(i * 1_000),
      finishedAt: at(i * 1_000 + 734),
      worker: workers[i % workers.length]!,
      exitCode: 0,
      outputs: { version: `1.0.${i}`, sha: (0xabcdef0 + i).toString(16) },
    }));
    const packed = JSON.stringify(packStates(states, BASE));
    const bytes = Buffer.byteLength(packed);
    const unpackedBytes = Buffer.byteLength(JSON.stringify(states));
    t.diagnostic(
      `packed 10,000 nodes: ${(bytes / 1024).toFixed(0)} KiB (${bytes} bytes); as plain objects: ${(unpackedBytes / 1024).toFixed(0)} KiB`,
    );
    assert.ok(bytes < 1.5 * 1024 * 1024, `${bytes} bytes`);
    assert.deepEqual(unpackStates(JSON.parse(packed)), states, 'and it still round-trips');
  });
});
