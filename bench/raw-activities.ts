/** The baseline's activity: does nothing, so a task measures only Temporal's own round trips. */

/** Returns at once; the no-op every baseline task runs. */
export async function noop(): Promise<void> {
  // Intentionally empty: any work here would be counted as orchestration overhead.
}
