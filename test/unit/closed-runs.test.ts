/** Only ended, whole run details are reused, and only for their time to live. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClosedRunCache } from '../../api/services/closed-runs';
import type { RunDetail } from '../../api/services/get-run';

function detail(overrides: Partial<RunDetail>): RunDetail {
  return { runId: 'r', kind: 'task', status: 'completed', startedAt: '', historyLength: 5, ...overrides } as RunDetail;
}

describe('ClosedRunCache', () => {
  test('an ended task is reused until its time to live; a running one never', () => {
    let now = 0;
    const cache = new ClosedRunCache(10_000, () => now);
    cache.keep('a', detail({}));
    cache.keep('b', detail({ status: 'running' }));
    assert.equal(cache.get('a')?.status, 'completed');
    assert.equal(cache.get('b'), undefined);
    now = 10_000;
    assert.equal(cache.get('a'), undefined);
  });

  test('an ended DAG or pipeline whose query went unanswered is not kept', () => {
    const cache = new ClosedRunCache();
    cache.keep('dag', detail({ kind: 'dag', status: 'failed' }));
    cache.keep('pipeline', detail({ kind: 'pipeline' }));
    assert.equal(cache.get('dag'), undefined);
    assert.equal(cache.get('pipeline'), undefined);
  });

  test('an ended stack operation is never kept: the next operation of the stack runs under the same id', () => {
    const cache = new ClosedRunCache();
    cache.keep('stack:shop/dev', detail({ kind: 'stack', stack: { phase: 'succeeded' } } as Partial<RunDetail>));
    assert.equal(cache.get('stack:shop/dev'), undefined);
  });

  test('a time to live of 0 turns it off', () => {
    const cache = new ClosedRunCache(0);
    cache.keep('a', detail({}));
    assert.equal(cache.get('a'), undefined);
  });
});
