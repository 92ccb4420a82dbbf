/** The DAG run's history budget: an execution starts only the tasks whose events fit under its limits. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BYTES_PER_TASK,
  EVENTS_PER_TASK,
  HISTORY_BYTES_BUDGET,
  RESERVED_EVENTS,
  taskRoom,
} from '../../workflows/dag/history-budget';

test('a fresh execution has room for tasks even under a small event limit, so every execution makes progress', () => {
  assert.ok(taskRoom({ events: 5, bytes: 2_000_000 }, 100, 0) >= 1);
  assert.equal(taskRoom({ events: 5, bytes: 0 }, 200, 0), Math.floor((200 - RESERVED_EVENTS - 5) / EVENTS_PER_TASK));
});

test('running tasks use the room up, and an execution near its limit drains (room 0 or less)', () => {
  const room = taskRoom({ events: 1000, bytes: 0 }, 10_000, 0);
  assert.equal(taskRoom({ events: 1000, bytes: 0 }, 10_000, 200), room - 200);
  assert.ok(taskRoom({ events: 10_000 - RESERVED_EVENTS - 200 * EVENTS_PER_TASK, bytes: 0 }, 10_000, 200) <= 0);
});

test('whatever the running tasks add cannot take the history past the event limit or the byte budget', () => {
  for (const events of [10, 4000, 8000, 9500]) {
    for (const running of [0, 50, 200]) {
      const room = taskRoom({ events, bytes: 0 }, 10_000, running);
      if (room <= 0) continue;
      assert.ok(events + (running + room) * EVENTS_PER_TASK + RESERVED_EVENTS <= 10_000);
    }
  }
  const bytes = HISTORY_BYTES_BUDGET - 100 * BYTES_PER_TASK;
  assert.equal(taskRoom({ events: 0, bytes }, 10_000, 30), 70);
  assert.ok(taskRoom({ events: 0, bytes: HISTORY_BYTES_BUDGET }, 10_000, 0) <= 0);
});
