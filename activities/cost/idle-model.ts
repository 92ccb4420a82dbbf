/** Idle capacity: worker time paid for and not used, per node class, and when to run fewer workers. */
import { MS_PER_HOUR, costOfMs } from '../../cost-model/money';

/** What is known of one class in the window. */
export interface ClassCapacityInput {
  nodeClass: string;
  concurrency: number;
  microsPerHour: number;
  /** Summed duration of its metered attempts in the window. */
  busyMs: number;
  /** Distinct workers that ran its attempts in the window. */
  meteredWorkers: number;
  /** Workers polling its queue when the analysis ran. */
  livePollers: number;
}

/** A class's capacity and idle cost. */
export interface ClassIdle {
  nodeClass: string;
  workers: number;
  concurrency: number;
  busyHours: number;
  /** Busy slot time over the slot time the workers offered (0..1). */
  utilisation: number;
  capacityMicros: number;
  idleMicros: number;
  low: boolean;
}

/** A suggestion with the money it would save. */
export interface Recommendation {
  kind: 'reduce-workers' | 'delete-stack' | 'fix-failing-task';
  subject: string;
  explanation: string;
  /** What following it saves over 30 days at the window's rate. */
  savingsMicrosPer30Days: number;
}

/** Utilisation a reduced worker count should reach, so a lowered class keeps headroom for bursts. */
const TARGET_UTILISATION = 0.5;

/**
 * Workers are the larger of the metered and the live count (a past day's workers are known only from
 * metering). A slot is one of a worker's `concurrency` places; an attempt occupies one for its
 * duration, so idle cost = price × (workers × hours − busy hours / concurrency).
 */
export function idleCapacity(
  classes: readonly ClassCapacityInput[],
  windowMs: number,
  lowUtilisation: number,
): { classes: ClassIdle[]; recommendations: Recommendation[] } {
  const recommendations: Recommendation[] = [];
  const rows = classes.map((c): ClassIdle => {
    const workers = Math.max(c.meteredWorkers, c.livePollers);
    const slotMs = workers * c.concurrency * windowMs;
    const utilisation = slotMs === 0 ? 0 : Math.round((c.busyMs / slotMs) * 10_000) / 10_000;
    const capacityMicros = costOfMs(workers * windowMs, c.microsPerHour);
    const unusedSlotMs = Math.max(0, slotMs - c.busyMs);
    // Per slot the price is divided by concurrency; multiplying the price instead keeps the arithmetic in integers.
    const idleMicros = Math.round(costOfMs(unusedSlotMs, c.microsPerHour) / c.concurrency);
    const low = workers > 0 && utilisation < lowUtilisation;
    if (low && workers > 1) {
      const needed = Math.max(1, Math.ceil(c.busyMs / (c.concurrency * windowMs * TARGET_UTILISATION)));
      if (needed < workers) {
        const perWindow = costOfMs((workers - needed) * windowMs, c.microsPerHour);
        recommendations.push({
          kind: 'reduce-workers',
          subject: `nodeClass=${c.nodeClass}`,
          explanation: `node class ${c.nodeClass} ran ${workers} workers at ${(utilisation * 100).toFixed(1)}% utilisation (below ${(lowUtilisation * 100).toFixed(0)}%); ${needed} would reach at most ${TARGET_UTILISATION * 100}%`,
          savingsMicrosPer30Days: Math.round((perWindow * (30 * 24 * MS_PER_HOUR)) / windowMs),
        });
      }
    }
    return {
      nodeClass: c.nodeClass,
      workers,
      concurrency: c.concurrency,
      busyHours: Math.round((c.busyMs / MS_PER_HOUR) * 1000) / 1000,
      utilisation,
      capacityMicros,
      idleMicros,
      low,
    };
  });
  return { classes: rows, recommendations };
}
