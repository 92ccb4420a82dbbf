/** Processes of a chaos stack still alive after it stopped: task commands, launchers, workers left behind. */
import { describeProcess, kill9, processesWithEnv } from './processes';

/**
 * Every process that still carries the stack's marker a few seconds after the stack stopped (a
 * command ending on its own gets that long), described for the report; they are then killed so the
 * machine is left clean.
 */
export async function findOrphans(marker: { name: string; value: string }, graceMs = 5000): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  let left = processesWithEnv(marker.name, marker.value);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    left = processesWithEnv(marker.name, marker.value);
  }
  const described = left.map((p) => `pid ${p.pid} (parent ${p.ppid}): ${describeProcess(p)}`);
  for (const p of left) kill9(p.pid);
  return described;
}
