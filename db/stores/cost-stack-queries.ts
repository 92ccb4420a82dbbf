/** Reads the managed stacks and their resource types for pricing. */
import type { Pool } from 'pg';
import type { StackRecord } from '../../activities/cost/infra-model';

/** Every stack created before `before`, with the type of each resource it holds. */
export async function loadStacks(db: Pool, before: Date): Promise<StackRecord[]> {
  const { rows } = await db.query(
    `SELECT s.project, s.stack, s.status, s.labels, s.created_at, s.updated_at, s.expires_at, s.last_operation_at,
       COALESCE(array_agg(r.type ORDER BY r.urn) FILTER (WHERE r.type IS NOT NULL), '{}') AS types
     FROM stacks s LEFT JOIN stack_resources r ON r.project = s.project AND r.stack = s.stack
     WHERE s.created_at < $1 GROUP BY s.project, s.stack ORDER BY s.project, s.stack`,
    [before],
  );
  return rows.map((r) => ({
    project: r.project,
    stack: r.stack,
    status: r.status,
    labels: r.labels,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
    lastOperationAt: r.last_operation_at,
    resourceTypes: r.types,
  }));
}
