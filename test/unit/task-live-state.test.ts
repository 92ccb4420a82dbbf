/** A running task's live state is read from its metered attempts only where they say what the workflow's query would. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunAttempt } from '../../db/stores/run-attempts';
import { taskStateFromAttempts } from '../../api/services/task-live-state';

function attempt(overrides: Partial<RunAttempt>): RunAttempt {
  return {
    taskId: 'task',
    attempt: 1,
    worker: 'w1',
    startedAt: new Date(0),
    endedAt: null,
    outcome: 'running',
    ...overrides,
  };
}

describe('taskStateFromAttempts', () => {
  test('before its first attempt starts and while it runs, the run is dispatched with nothing finished', () => {
    const initial = { phase: 'dispatched', commandAttempt: 1, attemptsFinished: 0 };
    assert.deepEqual(taskStateFromAttempts([]), initial);
    assert.deepEqual(taskStateFromAttempts([attempt({})]), initial);
  });

  test('a first attempt that succeeded reads as succeeded after one attempt', () => {
    assert.deepEqual(taskStateFromAttempts([attempt({ outcome: 'succeeded', endedAt: new Date(1) })]), {
      phase: 'succeeded',
      commandAttempt: 1,
      attemptsFinished: 1,
    });
  });

  test('after a failure, a lost worker, a cancel or a second attempt, the workflow is asked', () => {
    for (const outcome of ['failed', 'timed_out', 'lost', 'cancelled', 'error'])
      assert.equal(taskStateFromAttempts([attempt({ outcome, endedAt: new Date(1) })]), undefined, outcome);
    assert.equal(
      taskStateFromAttempts([attempt({ outcome: 'lost' }), attempt({ attempt: 2 })]),
      undefined,
      'a retry after a lost worker',
    );
    assert.equal(taskStateFromAttempts([attempt({ attempt: 2 })]), undefined, 'an earlier attempt not on record');
  });

  test("another kind of run's attempts (a DAG node) are not read as a task run's", () => {
    assert.equal(taskStateFromAttempts([attempt({ taskId: 'build' })]), undefined);
  });
});
