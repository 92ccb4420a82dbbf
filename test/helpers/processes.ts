/** Checks on processes that tests start through Capstan. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** Gone, or a zombie: killed but not reaped (PID 1 of a container may never reap orphans). */
function isGone(pid: number): { gone: boolean; state: string } {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { gone: true, state: 'none' };
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return { gone: state === 'Z' || state === 'X', state };
}

/** Asserts the process dies within `withinMs`: a SIGKILL is delivered at once, but the exit takes the kernel a moment. */
export async function assertProcessGone(pid: number, withinMs = 3000): Promise<void> {
  assert.ok(pid > 0, `not a pid: ${pid}`);
  const deadline = Date.now() + withinMs;
  let check = isGone(pid);
  while (!check.gone && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    check = isGone(pid);
  }
  assert.ok(check.gone, `process ${pid} is still alive (state ${check.state}) after ${withinMs} ms`);
}
