/** Checks on processes that tests start through Capstan. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** Asserts the process is gone, or a zombie: killed but not reaped (PID 1 of a container may never reap orphans). */
export function assertProcessGone(pid: number): void {
  assert.ok(pid > 0, `not a pid: ${pid}`);
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  assert.ok(state === 'Z' || state === 'X', `process ${pid} is still alive (state ${state})`);
}
