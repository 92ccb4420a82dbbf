/** The `stacks` and `stack_resources` tables: the declared program and config of each stack, its lifecycle and resources. */
import type { Pool } from 'pg';
import type { DriftReport, StackPhase } from '../../workflows/contracts/stack-operation';
import type { StackAddress } from '../../activities/pulumi/workspace';

/** A stack as Capstan knows it. */
export interface StackRecord {
  project: string;
  stack: string;
  program: string;
  config: Record<string, unknown>;
  labels: Record<string, string>;
  expiresAt: string | null;
  driftSchedule: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  status: 'new' | 'active' | 'destroyed' | 'failed';
  lastOperation: string | null;
  lastOperationAt: string | null;
  lastRunId: string | null;
  lastDrift: DriftReport | null;
}

/** What declaring a stack sets. */
export interface StackDeclaration {
  program: string;
  config: Record<string, unknown>;
  labels: Record<string, string>;
  expiresAt: string | null;
  driftSchedule: string | null;
  by: string;
}

interface StackRow {
  project: string;
  stack: string;
  program: string;
  config: Record<string, unknown>;
  labels: Record<string, string>;
  expires_at: Date | null;
  drift_schedule: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  status: StackRecord['status'];
  last_operation: string | null;
  last_operation_at: Date | null;
  last_run_id: string | null;
  last_drift: DriftReport | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toRecord(row: StackRow): StackRecord {
  return {
    project: row.project,
    stack: row.stack,
    program: row.program,
    config: row.config,
    labels: row.labels,
    expiresAt: iso(row.expires_at),
    driftSchedule: row.drift_schedule,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    status: row.status,
    lastOperation: row.last_operation,
    lastOperationAt: iso(row.last_operation_at),
    lastRunId: row.last_run_id,
    lastDrift: row.last_drift,
  };
}

/** One stack, or undefined when it was never declared. */
export async function findStack(db: Pool, address: StackAddress): Promise<StackRecord | undefined> {
  const { rows } = await db.query<StackRow>('SELECT * FROM stacks WHERE project = $1 AND stack = $2', [
    address.project,
    address.stack,
  ]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Every declared stack, ordered by name. */
export async function listStacks(db: Pool): Promise<StackRecord[]> {
  const { rows } = await db.query<StackRow>('SELECT * FROM stacks ORDER BY project, stack');
  return rows.map(toRecord);
}

/** Removes a stack's record and its resource list; returns whether it existed. */
export async function forgetStack(db: Pool, address: StackAddress): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM stacks WHERE project = $1 AND stack = $2', [
    address.project,
    address.stack,
  ]);
  return (rowCount ?? 0) > 0;
}

/** Creates or updates a stack's declaration; returns whether it was new. */
export async function declareStack(db: Pool, address: StackAddress, d: StackDeclaration): Promise<boolean> {
  const { rows } = await db.query<{ inserted: boolean }>(
    `INSERT INTO stacks (project, stack, program, config, labels, expires_at, drift_schedule, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (project, stack) DO UPDATE SET program = EXCLUDED.program, config = EXCLUDED.config, labels = EXCLUDED.labels,
       expires_at = EXCLUDED.expires_at, drift_schedule = EXCLUDED.drift_schedule, updated_at = now()
     RETURNING (xmax = 0) AS inserted`,
    [
      address.project,
      address.stack,
      d.program,
      JSON.stringify(d.config),
      JSON.stringify(d.labels),
      d.expiresAt,
      d.driftSchedule,
      d.by,
    ],
  );
  return rows[0]!.inserted;
}

/** Notes an operation's progress or end on the stack; a successful destroy marks it destroyed. */
export async function recordOperation(
  db: Pool,
  address: StackAddress,
  op: { operation: string; runId: string; outcome: StackPhase | 'running'; drift?: DriftReport },
): Promise<void> {
  const status =
    op.outcome === 'succeeded'
      ? op.operation === 'destroy'
        ? 'destroyed'
        : op.operation === 'up' || op.operation === 'refresh'
          ? 'active'
          : null
      : op.outcome === 'failed' && (op.operation === 'up' || op.operation === 'destroy')
        ? 'failed'
        : null;
  await db.query(
    `UPDATE stacks SET last_operation = $3, last_operation_at = now(), last_run_id = $4, status = COALESCE($5, status),
       last_drift = COALESCE($6, last_drift), last_drift_at = CASE WHEN $6::jsonb IS NULL THEN last_drift_at ELSE now() END
     WHERE project = $1 AND stack = $2`,
    [address.project, address.stack, op.operation, op.runId, status, op.drift ? JSON.stringify(op.drift) : null],
  );
}

/** Replaces the stack's resource list with what its state now holds. */
export async function replaceResources(
  db: Pool,
  address: StackAddress,
  resources: { urn: string; type: string }[],
): Promise<void> {
  const client = await db.connect();
  try {
    // One transaction, so a reader never sees the list half replaced.
    await client.query('BEGIN');
    await client.query('DELETE FROM stack_resources WHERE project = $1 AND stack = $2', [
      address.project,
      address.stack,
    ]);
    await client.query(
      `INSERT INTO stack_resources (project, stack, urn, type)
       SELECT $1, $2, r.urn, r.type FROM jsonb_to_recordset($3::jsonb) AS r(urn text, type text)`,
      [address.project, address.stack, JSON.stringify(resources)],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The resources recorded for a stack. */
export async function resourcesOf(db: Pool, address: StackAddress): Promise<{ urn: string; type: string }[]> {
  const { rows } = await db.query<{ urn: string; type: string }>(
    'SELECT urn, type FROM stack_resources WHERE project = $1 AND stack = $2 ORDER BY urn',
    [address.project, address.stack],
  );
  return rows;
}

/** How many resources each stack holds, keyed `project/stack` (stacks without any are absent). */
export async function resourceCounts(db: Pool): Promise<Map<string, number>> {
  const { rows } = await db.query<{ project: string; stack: string; n: string }>(
    'SELECT project, stack, count(*) AS n FROM stack_resources GROUP BY project, stack',
  );
  return new Map(rows.map((r) => [`${r.project}/${r.stack}`, Number(r.n)]));
}
