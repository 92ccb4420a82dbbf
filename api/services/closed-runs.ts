/**
 * Details of runs that have ended, kept a short while: an ended run no longer changes, so reading it
 * again (a dashboard, a CLI polling for the end) needs no describe, result or replayed query each time.
 */
import type { RunDetail } from './get-run';

/**
 * How long an ended run's detail is reused. Short, because one thing can still change an ended run:
 * a reset from Temporal's Web UI starts it again under the same id, and shows here this much later.
 * Stack operations are never kept: every operation of a stack reuses the stack's workflow id.
 */
export const CLOSED_RUN_TTL_MS = 10_000;

/** Most details kept per app; past it the oldest go first. */
const MAX_ENTRIES = 2000;

interface Entry {
  at: number;
  detail: RunDetail;
}

/** A keyed store of ended runs' details with a time to live; one per app. */
export class ClosedRunCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = CLOSED_RUN_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The detail kept under `key`, if it is fresh. */
  get(key: string): RunDetail | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.detail;
  }

  /** Keeps `detail` when it is final and whole: ended, and with the state its kind shows (a timed-out query is not kept). */
  keep(key: string, detail: RunDetail): void {
    if (this.ttlMs <= 0 || !isFinal(detail)) return;
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { at: this.now(), detail });
  }
}

function isFinal(detail: RunDetail): boolean {
  if (detail.status === 'running' || detail.status === 'unknown') return false;
  if (detail.kind === 'dag') return detail.dag !== undefined;
  if (detail.kind === 'pipeline') return detail.pipeline !== undefined;
  // A stack's operations all run under the stack's own workflow id, so an ended one is soon another.
  if (detail.kind === 'stack') return false;
  return detail.kind === 'task';
}
