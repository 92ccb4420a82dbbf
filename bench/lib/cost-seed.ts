/** The week `npm run bench:costs` aggregates: 10,000 runs and about 31,000 metered attempts, written by plain SQL. */
import type { Pool } from 'pg';

/**
 * Seeds `runs` runs spread over the 7 days before `to`, 3 attempts each (a build, a test, and a retry of the test
 * for one run in ten, else a deploy), with labels team (5 values), project (12) and environment (3); returns the attempt count.
 */
export async function seedCostWeek(db: Pool, runs: number, to: Date): Promise<number> {
  await db.query(
    `INSERT INTO runs (run_id, kind, name, labels, started_by, started_at)
     SELECT 'bench-' || i, 'dag', 'pipeline-' || (i % 40),
       jsonb_build_object('team', 'team-' || (i % 5), 'project', 'project-' || (i % 12), 'environment', (ARRAY['dev', 'staging', 'prod'])[1 + i % 3]),
       'bench', $2::timestamptz - ((i * 60.48) || ' seconds')::interval
     FROM generate_series(1, $1::int) AS i`,
    [runs, to],
  );
  const { rowCount } = await db.query(
    `INSERT INTO task_attempts (run_id, task_id, attempt, run_kind, node_class, worker, activity_id, labels, started_at, last_seen_at, ended_at, duration_ms, outcome)
     SELECT r.run_id, t.task_id, t.attempt, 'dag', CASE WHEN t.task_id = 'test' THEN 'highmem' ELSE 'general' END, 'w-' || (r.n % 7), '1', '{}'::jsonb,
       r.started_at, r.started_at + interval '1 minute', r.started_at + interval '1 minute', 30000 + (r.n * 7919) % 600000, t.outcome
     FROM (SELECT run_id, started_at, substr(run_id, 7)::int AS n FROM runs WHERE started_by = 'bench') r
     CROSS JOIN LATERAL (VALUES ('build', 1, 'succeeded'), ('test', 1, CASE WHEN r.n % 10 = 0 THEN 'failed' ELSE 'succeeded' END),
       (CASE WHEN r.n % 10 = 0 THEN 'test' ELSE 'deploy' END, CASE WHEN r.n % 10 = 0 THEN 2 ELSE 1 END, 'succeeded')) AS t(task_id, attempt, outcome)`,
  );
  // As autovacuum would leave them: statistics current, and the visibility map set (VACUUM refuses a transaction block).
  await db.query('VACUUM ANALYZE runs');
  await db.query('VACUUM ANALYZE task_attempts');
  return rowCount ?? 0;
}
