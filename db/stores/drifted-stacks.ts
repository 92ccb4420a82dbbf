/** Stacks whose last drift check found drift, for the `stack-drift` alert rule. */
import type { Queryable } from '../queryable';

/** A stack found drifted: how many resources changed outside Pulumi, and when the check ran. */
export interface DriftedStack {
  project: string;
  stack: string;
  resources: number;
  checkedAt: Date;
}

/**
 * Stacks (optionally of one project, or one stack name) not destroyed whose last drift check found drift;
 * a stack leaves the list when a later check finds none (an apply alone does not record a check).
 */
export async function listDriftedStacks(
  db: Queryable,
  filter: { project?: string; stack?: string },
): Promise<DriftedStack[]> {
  const { rows } = await db.query<{ project: string; stack: string; resources: number; last_drift_at: Date }>(
    `SELECT project, stack, jsonb_array_length(COALESCE(last_drift->'resources', '[]'::jsonb)) AS resources, last_drift_at
     FROM stacks
     WHERE (last_drift->>'drifted')::boolean AND status <> 'destroyed'
       AND ($1::text IS NULL OR project = $1) AND ($2::text IS NULL OR stack = $2)
     ORDER BY project, stack`,
    [filter.project ?? null, filter.stack ?? null],
  );
  return rows.map((r) => ({ project: r.project, stack: r.stack, resources: r.resources, checkedAt: r.last_drift_at }));
}
