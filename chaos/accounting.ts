/**
 * Metering checked against Temporal: for every execution of every started run, each metered
 * activity (`runShellCommand` for tasks and DAG nodes, `runJobStep` for pipeline steps) is read
 * from the history and turned into the metering keys its attempts must have in `task_attempts`.
 *
 * How they are matched. A metering row's key is (run id, task id, attempt): run id is the
 * workflow id the activity ran under; for `runShellCommand` the task id is the input's
 * `workspaceKey` (a DAG node's key) or `task`, and its Temporal attempts 1..n are rows
 * `attemptsBefore + 1 .. attemptsBefore + n` (n is the attempt on the ActivityTaskStarted event,
 * which Temporal writes once, for the last attempt); `runJobStep` has one attempt (no Temporal retry)
 * whose key is its input's `meter`. An attempt in the history with no row is "missing" when its
 * command must have run: it is the activity's last attempt and a worker reported its end
 * (completed, failed or cancelled), or the attempt has a log. An earlier attempt ended by Temporal's
 * heartbeat timeout with neither row nor log went to a worker that died before writing the start
 * (the row is written before the command starts, so no command ran): counted apart, not missing.
 * A row no history attempt accounts for is "doubled".
 */
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Client as PgClient } from 'pg';
import { GzipPayloadCodec } from '../config/payload-codec';

const EventType = temporal.api.enums.v1.EventType;

/** The comparison's figures. */
export interface MeteringReport {
  executions: number;
  /** Activity attempts of metered activities in the histories. */
  historyAttempts: number;
  rows: number;
  matched: number;
  missing: string[];
  doubled: string[];
  /** History attempts with no row whose worker died before the command could start. */
  neverRan: string[];
  /** Rows still open (no end) after the settle. */
  openRows: string[];
  /** Rows of run ids the load never started (a start that happened twice would show here). */
  foreignRows: string[];
  /** Runs whose executions could not be read. */
  unreadable: string[];
}

interface Expected {
  key: string;
  /** The attempt's end came from a worker, so its command ran. */
  mustHaveRun: boolean;
}

/** Compares the histories of `runIds` with the rows of `task_attempts`. */
export async function compareMetering(
  temporalAddress: string,
  databaseUrl: string,
  runIds: string[],
): Promise<MeteringReport> {
  const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 10_000 });
  const client = new Client({ connection, namespace: 'default' });
  const codec = new GzipPayloadCodec();
  const expected = new Map<string, Expected>();
  const report: MeteringReport = {
    executions: 0,
    historyAttempts: 0,
    rows: 0,
    matched: 0,
    missing: [],
    doubled: [],
    neverRan: [],
    openRows: [],
    foreignRows: [],
    unreadable: [],
  };
  try {
    for (const runId of runIds) {
      try {
        for (const execution of await executionsOf(client, runId)) {
          report.executions++;
          for (const e of await expectedOfExecution(client, codec, runId, execution)) expected.set(e.key, e);
        }
      } catch (err) {
        report.unreadable.push(`${runId}: ${(err as Error).message}`);
      }
    }
  } finally {
    await connection.close();
  }
  report.historyAttempts = expected.size;

  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    const started = new Set(runIds);
    const rows = await db.query<{ run_id: string; task_id: string; attempt: number; ended: boolean }>(
      'SELECT run_id, task_id, attempt, ended_at IS NOT NULL AS ended FROM task_attempts',
    );
    const logs = new Set(
      (
        await db.query<{ k: string }>("SELECT run_id || ' ' || task_id || ' #' || attempt AS k FROM task_logs")
      ).rows.map((r) => r.k),
    );
    const seen = new Set<string>();
    for (const row of rows.rows) {
      const key = `${row.run_id} ${row.task_id} #${row.attempt}`;
      if (!started.has(row.run_id)) {
        report.foreignRows.push(key);
        continue;
      }
      report.rows++;
      seen.add(key);
      if (!row.ended) report.openRows.push(key);
      if (expected.has(key)) report.matched++;
      else report.doubled.push(key);
    }
    for (const e of expected.values()) {
      if (seen.has(e.key)) continue;
      if (e.mustHaveRun || logs.has(e.key)) report.missing.push(e.key);
      else report.neverRan.push(e.key);
    }
  } finally {
    await db.end();
  }
  return report;
}

/** The run ids (Temporal run ids) of every execution of a workflow id, continued-as-new ones included. */
async function executionsOf(client: Client, workflowId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId.replace(/'/g, "\\'")}'` }))
    ids.push(info.runId);
  if (ids.length === 0) {
    // Visibility may lag or have missed a record while its database was down: the latest execution is readable by id.
    ids.push((await client.workflow.getHandle(workflowId).describe()).runId);
  }
  return ids;
}

async function expectedOfExecution(
  client: Client,
  codec: GzipPayloadCodec,
  workflowId: string,
  runId: string,
): Promise<Expected[]> {
  const scheduled = new Map<string, { keys: (n: number) => string[] }>();
  const started = new Map<string, number>();
  const closedByWorker = new Set<string>();
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId, runId },
      maximumPageSize: 200,
      nextPageToken,
    });
    for (const e of page.history?.events ?? []) {
      const id = String(e.eventId);
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        const a = e.activityTaskScheduledEventAttributes!;
        const type = a.activityType?.name;
        if (type !== 'runShellCommand' && type !== 'runJobStep') continue;
        const [payload] = await codec.decode((a.input?.payloads ?? []) as Payload[]);
        const input = defaultPayloadConverter.fromPayload<{
          attemptsBefore?: number;
          workspaceKey?: string;
          meter?: { taskId: string; attempt: number };
        }>(payload!);
        if (type === 'runShellCommand') {
          const before = Number(input.attemptsBefore ?? 0);
          const taskId = String(input.workspaceKey ?? 'task');
          scheduled.set(id, {
            keys: (n) => Array.from({ length: n }, (_, i) => `${workflowId} ${taskId} #${before + i + 1}`),
          });
        } else {
          const meter = input.meter!;
          scheduled.set(id, { keys: (n) => (n > 0 ? [`${workflowId} ${meter.taskId} #${meter.attempt}`] : []) });
        }
      } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        const a = e.activityTaskStartedEventAttributes!;
        started.set(String(a.scheduledEventId), a.attempt ?? 1);
      } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        closedByWorker.add(String(e.activityTaskCompletedEventAttributes!.scheduledEventId));
      } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED) {
        closedByWorker.add(String(e.activityTaskFailedEventAttributes!.scheduledEventId));
      } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED) {
        closedByWorker.add(String(e.activityTaskCanceledEventAttributes!.scheduledEventId));
      }
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const out: Expected[] = [];
  for (const [id, s] of scheduled) {
    const attempts = started.get(id) ?? 0;
    const keys = s.keys(attempts);
    keys.forEach((key, i) => out.push({ key, mustHaveRun: i === keys.length - 1 && closedByWorker.has(id) }));
  }
  return out;
}
