/** Human lines for run progress events: one line per node that changed, a count line, and the ending. */

const MARKS: Record<string, string> = {
  pending: '·',
  dispatched: '▶',
  running: '▶',
  'backing-off': '↻',
  succeeded: '✓',
  completed: '✓',
  failed: '✗',
  skipped: '○',
  cancelled: '■',
};

/** A progress event as `GET /v1/runs/:id/events` sends it. */
export interface ProgressEvent {
  runId: string;
  status: string;
  counts?: Record<string, number>;
  webUiUrl?: string;
  changes: Array<{
    key: string;
    status: string;
    attempts?: number;
    worker?: string;
    exitCode?: number;
    message?: string;
    logTail?: LogTailView;
    /** Succeeded in the run a retry started from; it did not run in this one. */
    reused?: boolean;
  }>;
  /** `details.exitCode` is the failed command's exit code (a single task run). */
  failure?: { message: string; logTail?: LogTailView; details?: { exitCode?: number } };
}

/** The last lines of a failed command's output, as the API sends them. */
export interface LogTailView {
  stream: string;
  lines: string[];
  truncated?: boolean;
}

/** How progress is printed. */
export interface PrintOptions {
  /** Print failed commands' last lines (default); off when their whole logs are printed instead. */
  tails?: boolean;
}

/** Prints one progress event. */
export function printProgress(event: ProgressEvent, options: PrintOptions = {}): void {
  printChanges(event, options);
  printOutcome(event, options);
}

/** Prints a line per node that changed (a failed one with its last lines). */
export function printChanges(event: ProgressEvent, options: PrintOptions = {}): void {
  for (const change of event.changes) {
    if (change.status === 'pending') continue;
    const attempts =
      change.attempts !== undefined ? ` (${change.attempts} attempt${change.attempts === 1 ? '' : 's'})` : '';
    const where = change.worker ? ` on ${change.worker}` : '';
    const why = change.message && change.status !== 'succeeded' ? `: ${change.message}` : '';
    console.log(`  ${MARKS[change.status] ?? '?'} ${change.key} ${change.status}${attempts}${where}${why}`);
    if (change.status === 'failed' && change.logTail && options.tails !== false) printLogTail(change.logTail, '      ');
  }
}

/** Prints the count line of a DAG and, once the run has ended, how it ended. */
export function printOutcome(event: ProgressEvent, options: PrintOptions = {}): void {
  if (event.counts) {
    const total = Object.values(event.counts).reduce((a, b) => a + b, 0);
    const done = total - (event.counts.pending ?? 0) - (event.counts.running ?? 0);
    const parts = Object.entries(event.counts)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    console.log(`[${done}/${total}] ${parts}`);
  }
  if (event.status !== 'running') {
    console.log(`run ${event.runId} ${event.status}${event.failure ? `: ${event.failure.message}` : ''}`);
    if (event.failure?.logTail && options.tails !== false) printLogTail(event.failure.logTail, '    ');
    if (event.webUiUrl) console.log(`history: ${event.webUiUrl}`);
  }
}

/** Prints a failed command's last lines, indented under the line that names it, each marked with its stream. */
export function printLogTail(tail: LogTailView, indent: string): void {
  const cut = tail.truncated ? ', earlier output left out' : '';
  console.log(`${indent}last ${tail.lines.length} line${tail.lines.length === 1 ? '' : 's'} of ${tail.stream}${cut}:`);
  for (const line of tail.lines) console.log(`${indent}${tail.stream} | ${line}`);
}
