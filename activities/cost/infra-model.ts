/** Prices the resources of managed stacks from a catalog, and flags stacks past their TTL or left untouched. */
import { costOfMs } from '../../cost-model/money';

/** A managed stack with the types of the resources it holds. */
export interface StackRecord {
  project: string;
  stack: string;
  status: string;
  labels: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  lastOperationAt: Date | null;
  resourceTypes: string[];
}

/** One stack's cost in a window and why it may be worth deleting. */
export interface StackCost {
  project: string;
  stack: string;
  status: string;
  labels: Record<string, string>;
  resources: number;
  /** Micro-dollars per hour of its resources as the catalog prices them. */
  microsPerHour: number;
  costMicros: number;
  flags: Array<'expired' | 'stale'>;
  explanation?: string;
}

/** How stacks are judged. */
export interface InfraSettings {
  /** Micro-dollars per hour of each resource type. */
  catalog: ReadonlyMap<string, number>;
  /** A stack with no operation for this many days is stale. */
  staleAfterDays: number;
}

/**
 * The cost of each stack over [from, to): its resources' hourly prices × the hours it existed in the
 * window (until `updatedAt` once destroyed). Flags are judged at `to`, so a re-run of a past day gives the same report.
 */
export function priceStacks(
  stacks: readonly StackRecord[],
  from: Date,
  to: Date,
  settings: InfraSettings,
): { stacks: StackCost[]; totalMicros: number; unpricedTypes: string[] } {
  const unpriced = new Set<string>();
  const priced = stacks.map((s): StackCost => {
    const end = s.status === 'destroyed' ? Math.min(s.updatedAt.getTime(), to.getTime()) : to.getTime();
    const overlapMs = Math.max(0, end - Math.max(s.createdAt.getTime(), from.getTime()));
    let microsPerHour = 0;
    let costMicros = 0;
    for (const type of s.resourceTypes) {
      const price = settings.catalog.get(type);
      if (price === undefined) unpriced.add(type);
      microsPerHour += price ?? 0;
      // Per resource, so a stack's cost is the sum of what each of its resources costs.
      costMicros += costOfMs(overlapMs, price ?? 0);
    }
    const flags: StackCost['flags'] = [];
    const reasons: string[] = [];
    if (s.status !== 'destroyed') {
      if (s.expiresAt !== null && s.expiresAt.getTime() <= to.getTime()) {
        flags.push('expired');
        reasons.push(`its TTL ended ${s.expiresAt.toISOString()}`);
      }
      const touched = s.lastOperationAt ?? s.updatedAt;
      const idleDays = Math.floor((to.getTime() - touched.getTime()) / 86_400_000);
      if (idleDays >= settings.staleAfterDays) {
        flags.push('stale');
        reasons.push(`no operation for ${idleDays} days (since ${touched.toISOString()})`);
      }
    }
    return {
      project: s.project,
      stack: s.stack,
      status: s.status,
      labels: s.labels,
      resources: s.resourceTypes.length,
      microsPerHour,
      costMicros,
      flags,
      ...(reasons.length > 0 ? { explanation: `${s.project}/${s.stack}: ${reasons.join('; ')}` } : {}),
    };
  });
  return {
    stacks: priced,
    totalMicros: priced.reduce((sum, s) => sum + s.costMicros, 0),
    unpricedTypes: [...unpriced].sort(),
  };
}
