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

/**
 * Watches, while the chaos runs, for processes of the stack whose parent died and that were
 * reparented to init: a task command left running by a killed worker (it would run beside the retry
 * Temporal starts elsewhere), or a launcher. Each is recorded once, when first seen.
 */
export class OrphanWatch {
  readonly seen = new Map<number, string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly marker: { name: string; value: string }) {}

  /** Scans every `everyMs` until stopped. */
  begin(everyMs = 3000): void {
    this.timer = setInterval(() => this.scan(), everyMs);
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.timer);
  }

  private scan(): void {
    for (const p of processesWithEnv(this.marker.name, this.marker.value)) {
      if (p.ppid === 1 && !this.seen.has(p.pid))
        this.seen.set(p.pid, `pid ${p.pid} at ${new Date().toISOString().slice(11, 19)}: ${describeProcess(p)}`);
    }
  }
}
