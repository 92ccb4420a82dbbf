/** Seeds metering, runs and stacks straight into a test database, for the cost analysis tests. */
import type { Pool } from 'pg';

/** One metered attempt to insert. */
export interface SeedAttempt {
  runId: string;
  taskId: string;
  attempt: number;
  nodeClass: string;
  worker: string;
  startedAt: Date;
  durationMs: number;
  outcome: 'succeeded' | 'failed' | 'lost' | 'timed_out';
  labels?: Record<string, string>;
}

/** Inserts closed attempts. */
export async function seedAttempts(db: Pool, attempts: readonly SeedAttempt[]): Promise<void> {
  for (const a of attempts) {
    const ended = new Date(a.startedAt.getTime() + a.durationMs);
    await db.query(
      `INSERT INTO task_attempts (run_id, task_id, attempt, run_kind, node_class, worker, activity_id, labels, started_at, last_seen_at, ended_at, duration_ms, outcome)
       VALUES ($1, $2, $3, 'dag', $4, $5, '1', $6, $7, $8, $8, $9, $10)`,
      [
        a.runId,
        a.taskId,
        a.attempt,
        a.nodeClass,
        a.worker,
        JSON.stringify(a.labels ?? {}),
        a.startedAt,
        ended,
        a.durationMs,
        a.outcome,
      ],
    );
  }
}

/** Inserts a run record with its name and labels (as the API writes it). */
export async function seedRun(db: Pool, runId: string, name: string, labels: Record<string, string>): Promise<void> {
  await db.query(`INSERT INTO runs (run_id, kind, name, labels, started_by) VALUES ($1, 'dag', $2, $3, 'seed')`, [
    runId,
    name,
    JSON.stringify(labels),
  ]);
}

/** A stack and its resources. */
export interface SeedStack {
  project: string;
  stack: string;
  status: 'active' | 'destroyed';
  labels: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  expiresAt?: Date;
  lastOperationAt?: Date;
  resourceTypes: string[];
}

/** Inserts stacks with their resources. */
export async function seedStacks(db: Pool, stacks: readonly SeedStack[]): Promise<void> {
  for (const s of stacks) {
    await db.query(
      `INSERT INTO stacks (project, stack, program, labels, expires_at, created_by, created_at, updated_at, last_operation_at, status)
       VALUES ($1, $2, 'seed-program', $3, $4, 'seed', $5, $6, $7, $8)`,
      [
        s.project,
        s.stack,
        JSON.stringify(s.labels),
        s.expiresAt ?? null,
        s.createdAt,
        s.updatedAt,
        s.lastOperationAt ?? null,
        s.status,
      ],
    );
    for (const [i, type] of s.resourceTypes.entries()) {
      await db.query('INSERT INTO stack_resources (project, stack, urn, type) VALUES ($1, $2, $3, $4)', [
        s.project,
        s.stack,
        `urn:pulumi:${s.stack}::${s.project}::${type}::r${i}`,
        type,
      ]);
    }
  }
}

/** A local receiver of webhook posts (the Slack stand-in): every JSON body it got. */
export async function startWebhookReceiver(): Promise<{ url: string; bodies: any[]; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const bodies: any[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks/cost`,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
