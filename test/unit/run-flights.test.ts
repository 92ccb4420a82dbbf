/** Concurrent reads of one run share one trip; a read after the trip ended makes a new one. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunDetail } from '../../api/services/get-run';
import { RunFlights } from '../../api/services/run-flights';

function detail(status: RunDetail['status']): RunDetail {
  return { runId: 'r', kind: 'task', status, startedAt: '', historyLength: 5 };
}

describe('RunFlights', () => {
  test('reads of one key while a trip is in flight join it; later reads start their own', async () => {
    const flights = new RunFlights();
    let trips = 0;
    let release: (d: RunDetail) => void = () => undefined;
    const fetch = () => {
      trips++;
      return new Promise<RunDetail>((resolve) => (release = resolve));
    };
    const first = flights.read('k', fetch);
    const second = flights.read('k', fetch);
    const other = flights.read('other', () => Promise.resolve(detail('completed')));
    release(detail('running'));
    assert.deepEqual(
      (await Promise.all([first, second])).map((r) => [r.detail.status, r.joined]),
      [
        ['running', false],
        ['running', true],
      ],
    );
    assert.equal((await other).joined, false);
    assert.equal(trips, 1);
    const later = await flights.read('k', () => Promise.resolve(detail('completed')));
    assert.deepEqual([later.detail.status, later.joined], ['completed', false], 'nothing is kept after the trip');
  });

  test('a failed trip fails every read that joined it, and the next read tries again', async () => {
    const flights = new RunFlights();
    let fail: (e: Error) => void = () => undefined;
    const trip = () => new Promise<RunDetail>((_resolve, reject) => (fail = reject));
    const reads = [flights.read('k', trip), flights.read('k', trip)];
    fail(new Error('unavailable'));
    for (const read of reads) await assert.rejects(read, /unavailable/);
    assert.equal((await flights.read('k', () => Promise.resolve(detail('running')))).detail.status, 'running');
  });
});
