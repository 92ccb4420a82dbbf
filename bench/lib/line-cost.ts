/**
 * The cost of a task log per line at high volume: the worker's AttemptLog driven directly with a flood of
 * short lines, arriving in 64 KiB reads as from a pipe, against a database in another process.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { AttemptLog, SecretMasker } from '../../activities/logs';
import { createLogger } from '../../config/logger';
import { TaskLogStore } from '../../db/stores/task-log-store';
import { since } from './stats';

/** One measurement: how many lines of what size, under which size limit. */
export interface LineCostCase {
  lines: number;
  lineBytes: number;
  limitBytes: number;
}

/** What one case cost and what it left in the database. */
export interface LineCostResult extends LineCostCase {
  /** Time inside AttemptLog.write (splitting, masking, accounting), per line. */
  writeUsPerLine: number;
  /** CPU of this whole process (write, statements, pg client) from the first write until the log was closed, per line. */
  cpuUsPerLine: number;
  /** CPU of the database's processes over the same span, per line. */
  dbCpuUsPerLine: number;
  /** Wall time of feeding every read, the writes to the database running alongside. */
  feedMs: number;
  /** From the last write until the log was closed, its last line stored and readable. */
  lastLineMs: number;
  /** Highest RSS of this process sampled every 100 ms during the case, in MiB, and before it. */
  rssBeforeMiB: number;
  rssPeakMiB: number;
  /** What the database holds afterwards. */
  rows: number;
  storedLines: number;
  cutLines: number;
  bodyBytes: number;
  relationBytes: number;
}

/** Reads of this size, the most a pipe hands Node at once. */
const READ_BYTES = 64 * 1024;

/** Random lines repeat only after this many bytes, far past what PostgreSQL's compression looks back on. */
const POOL_BYTES = 8 * 1024 * 1024;

/**
 * Lines of `lineBytes` bytes (random base64 letters and a newline), POOL_BYTES of them:
 * random, because real output does not compress like one repeated line, which would flatter the stored size.
 */
function linePool(lineBytes: number): Buffer {
  const perPool = Math.floor(POOL_BYTES / lineBytes);
  const letters = randomBytes(perPool * lineBytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < perPool; i++) lines.push(`${letters.slice(i * lineBytes, i * lineBytes + lineBytes - 1)}\n`);
  return Buffer.from(lines.join(''));
}

/** `count` lines of `pool`'s line size as 64 KiB reads, cycling through the pool. */
function* reads(pool: Buffer, count: number, lineBytes: number): Generator<Buffer> {
  let left = count * lineBytes;
  let at = 0;
  while (left > 0) {
    // Reads cut lines at different places, as a pipe does; the pool's end (a line end) ends a read.
    const size = Math.min(READ_BYTES, left, pool.length - at);
    yield pool.subarray(at, at + size);
    at = (at + size) % pool.length;
    left -= size;
  }
}

const MiB = 1024 * 1024;

/** Runs one case against `db` (schema already migrated); empties the log tables first so sizes are this case's own. */
export async function measureLineCost(db: Pool, c: LineCostCase, dbCpuSeconds: () => number): Promise<LineCostResult> {
  await db.query('TRUNCATE task_log_chunks, task_logs');
  // Made before the clock starts: generating the lines is not the log's cost.
  const pool = linePool(c.lineBytes);
  const key = { runId: `line-cost-${randomUUID()}`, taskId: 'task', attempt: 1 };
  const masker = new SecretMasker();
  // One secret, as a task with a token in its environment has: every read is searched for it.
  masker.add('s3cr3t-token-value-not-printed');
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  const cpu0 = process.cpuUsage();
  const db0 = dbCpuSeconds();
  const t0 = performance.now();
  const log = new AttemptLog({
    store: new TaskLogStore(db),
    key,
    worker: 'bench',
    limitBytes: c.limitBytes,
    masker,
    logger: createLogger('bench-line-cost', 'warn'),
  });
  let writeMs = 0;
  for (const read of reads(pool, c.lines, c.lineBytes)) {
    const w0 = performance.now();
    log.write('o', read);
    writeMs += since(w0);
    // One read per turn of the event loop, as stdout data events arrive; the log's writes run in between.
    await new Promise((r) => setImmediate(r));
  }
  const fed = performance.now();
  await log.close(600_000);
  const lastLineMs = since(fed);
  const cpu = process.cpuUsage(cpu0);
  const dbCpu = dbCpuSeconds() - db0;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

  const { rows } = await db.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM task_log_chunks) AS rows,
            (SELECT coalesce(sum(line_count), 0) FROM task_log_chunks) AS lines,
            (SELECT coalesce(sum(octet_length(body)), 0) FROM task_log_chunks) AS body,
            pg_total_relation_size('task_log_chunks') AS size,
            (SELECT total_lines FROM task_logs) AS total,
            (SELECT cut_lines FROM task_logs) AS cut,
            (SELECT ended_at IS NOT NULL FROM task_logs) AS ended,
            (SELECT max(first_line + line_count - 1) FROM task_log_chunks) AS last`,
  );
  const row = rows[0]!;
  const total = Number(row.total);
  if (total !== c.lines) throw new Error(`log counted ${total} lines, expected ${c.lines}`);
  if (String(row.ended) !== 'true') throw new Error('log not marked ended');
  if (Number(row.last) !== total) throw new Error(`last stored line is ${row.last}, not ${total}`);
  return {
    ...c,
    writeUsPerLine: (writeMs * 1000) / c.lines,
    cpuUsPerLine: (cpu.user + cpu.system) / c.lines,
    dbCpuUsPerLine: (dbCpu * 1e6) / c.lines,
    feedMs: fed - t0,
    lastLineMs,
    rssBeforeMiB: rssBefore / MiB,
    rssPeakMiB: rssPeak / MiB,
    rows: Number(row.rows),
    storedLines: Number(row.lines),
    cutLines: Number(row.cut),
    bodyBytes: Number(row.body),
    relationBytes: Number(row.size),
  };
}
