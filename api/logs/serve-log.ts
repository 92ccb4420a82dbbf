/**
 * Answers a log route: the chosen attempt's log as text, or followed as server-sent events while the
 * attempt runs, resumable with Last-Event-ID, ending when the attempt ends.
 */
import type { Request, Response } from 'express';
import type { AttemptKey } from '../../db/stores/attempt-ledger';
import type { LogAttempt, TaskLogStore } from '../../db/stores/task-log-store';
import { ApiError } from '../errors';
import { parseOr400 } from '../validate';
import { LastEventIdSchema, LogQuerySchema, type LogQuery } from './log-query';
import { renderChunk, renderTail, type RenderOptions, type RenderPosition } from './log-text';

/** Whose log a route serves. */
export interface LogTarget {
  runId: string;
  /** The task's id in the log store: `task`, a DAG node key, or `<job>/<step>` of a pipeline. */
  taskId: string;
  /** Pipeline steps: also the logs of the job's restarts on another worker. */
  withRestarts?: boolean;
  /** How messages name it: `task "build" of run "r1"`. */
  label: string;
  /** Whether the run may still start an attempt (checked while waiting for the first). */
  runIsOpen(): Promise<boolean>;
}

/** Chunks read per query, so a reader's memory stays bounded however long the log. */
const PAGE = 16;
/** How often a follower looks for new lines (the worker writes every 200 ms). */
const FOLLOW_POLL_MS = 250;
/** A log not written or refreshed for this long, while its attempt is open, was left by a worker that died. */
const LOST_AFTER_MS = 30_000;
/** A comment line keeps idle proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** Serves `GET …/log` for `target`. */
export async function serveLog(store: TaskLogStore, target: LogTarget, req: Request, res: Response): Promise<void> {
  const query = parseOr400(LogQuerySchema, req.query, 'query', 'query');
  const lastEventIdHeader = req.get('last-event-id');
  const resume =
    lastEventIdHeader === undefined
      ? undefined
      : parseOr400(LastEventIdSchema, lastEventIdHeader, 'header', 'Last-Event-ID');
  if (query.follow) return followLog(store, target, query, resume, req, res);
  const attempt = await chooseAttempt(store, target, query.attempt);
  if (!attempt) throw noLog(target, query.attempt);
  gone(attempt, target);
  res.status(200);
  res.type('text/plain; charset=utf-8');
  setAttemptHeaders(res, attempt);
  const options = renderOptions(query);
  const key: AttemptKey = attempt;
  if (query.tail !== undefined) {
    res.end(renderTail(await tailChunks(store, key, query), attempt, options, query.tail).text);
    return;
  }
  const position: RenderPosition = { nextLine: options.fromLine, nextByte: 0 };
  let afterSeq = 0;
  for (;;) {
    const chunks = await store.chunks(key, {
      afterSeq,
      fromLine: options.fromLine,
      toLine: options.toLine,
      limit: PAGE,
    });
    for (const chunk of chunks) res.write(renderChunk(chunk, attempt, options, position));
    if (chunks.length < PAGE) break;
    afterSeq = chunks.at(-1)!.seq;
  }
  res.end();
}

async function followLog(
  store: TaskLogStore,
  target: LogTarget,
  query: LogQuery,
  resume: { seq: number; nextLine: number; nextByte: number } | undefined,
  req: Request,
  res: Response,
): Promise<void> {
  let attempt = await chooseAttempt(store, target, query.attempt);
  // A run that can no longer start the attempt and has no log of it answers 404 before the stream opens.
  if (!attempt && !(await target.runIsOpen())) throw noLog(target, query.attempt);
  if (attempt) gone(attempt, target);
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  let closed = false;
  req.on('close', () => {
    closed = true;
  });
  const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
  try {
    // Waiting for an attempt that has not started yet (the task's first, or the retry asked for).
    for (let checks = 0; !attempt && !closed; checks++) {
      await sleep(FOLLOW_POLL_MS * 2);
      attempt = await chooseAttempt(store, target, query.attempt);
      if (!attempt && checks % 4 === 3 && !(await target.runIsOpen())) {
        const message = noLog(target, query.attempt).message;
        res.end(`event: end\ndata: ${JSON.stringify({ state: 'no_log', message })}\n\n`);
        return;
      }
    }
    if (!attempt || closed) return;
    res.write(`event: attempt\ndata: ${JSON.stringify(attemptView(attempt))}\n\n`);
    const options = renderOptions(query);
    let position: RenderPosition = resume
      ? { nextLine: resume.nextLine, nextByte: resume.nextByte }
      : { nextLine: options.fromLine, nextByte: 0 };
    let afterSeq = resume?.seq ?? 0;
    if (!resume && query.tail !== undefined) {
      const newestFirst = await tailChunks(store, attempt, query);
      const tail = renderTail(newestFirst, attempt, options, query.tail);
      afterSeq = newestFirst[0]?.seq ?? 0;
      position = tail.position;
      send(res, `${afterSeq}-${position.nextLine}-${position.nextByte}`, tail.text);
    }
    while (!closed) {
      const chunks = await store.chunks(attempt, {
        afterSeq,
        fromLine: options.fromLine,
        toLine: options.toLine,
        limit: PAGE,
      });
      for (const chunk of chunks) {
        const text = renderChunk(chunk, attempt, options, position);
        afterSeq = chunk.seq;
        send(res, `${chunk.seq}-${position.nextLine}-${position.nextByte}`, text);
      }
      if (chunks.length === PAGE) continue;
      const state = await attemptState(store, target, attempt);
      if (state.ended) {
        // Lines written between the read above and the end mark are read once more before the stream ends.
        const rest = await store.chunks(attempt, { afterSeq, limit: 1 });
        if (rest.length > 0) continue;
        res.end(`event: end\ndata: ${JSON.stringify({ ...attemptView(state.attempt), state: state.how })}\n\n`);
        return;
      }
      await sleep(FOLLOW_POLL_MS);
    }
  } finally {
    clearInterval(keepalive);
  }
}

/** One `log` event, whose id resumes the stream after it; a chunk the filters empty sends nothing. */
function send(res: Response, id: string, text: string): void {
  if (text === '') return;
  res.write(`id: ${id}\nevent: log\ndata: ${JSON.stringify(text)}\n\n`);
}

/** Whether the attempt's log is complete: its end written, or its worker gone (a newer attempt, or silence). */
async function attemptState(
  store: TaskLogStore,
  target: LogTarget,
  followed: LogAttempt,
): Promise<{ ended: boolean; how?: 'ended' | 'lost'; attempt: LogAttempt }> {
  const all = await store.attempts(target.runId, target.taskId, target.withRestarts);
  const now = all.find((a) => a.taskId === followed.taskId && a.attempt === followed.attempt) ?? followed;
  if (now.endedAt) return { ended: true, how: 'ended', attempt: now };
  const newer = all.some((a) => a.startedAt > now.startedAt);
  if (newer || Date.now() - now.lastWriteAt.getTime() > LOST_AFTER_MS)
    return { ended: true, how: 'lost', attempt: now };
  return { ended: false, attempt: now };
}

/** The attempt numbered `attempt` (the newest restart's, for a pipeline step), or the latest. */
async function chooseAttempt(
  store: TaskLogStore,
  target: LogTarget,
  attempt: number | undefined,
): Promise<LogAttempt | undefined> {
  const all = await store.attempts(target.runId, target.taskId, target.withRestarts);
  if (attempt === undefined) return all.at(-1);
  return all.filter((a) => a.attempt === attempt).at(-1);
}

async function tailChunks(store: TaskLogStore, key: AttemptKey, query: LogQuery) {
  // Enough chunks for the tail in the usual case; a stream filter on an interleaved log may need more.
  return store.lastChunks(key, query.stream ? PAGE * 4 : PAGE);
}

function renderOptions(query: LogQuery): RenderOptions {
  return {
    stream: query.stream,
    fromLine: query.lines?.from ?? 1,
    toLine: query.lines?.to ?? Number.MAX_SAFE_INTEGER,
    timestamps: query.timestamps ?? false,
  };
}

function setAttemptHeaders(res: Response, attempt: LogAttempt): void {
  res.set('X-Capstan-Attempt', String(attempt.attempt));
  res.set('X-Capstan-Log-State', attempt.endedAt ? 'ended' : 'running');
  res.set('X-Capstan-Log-Lines', String(attempt.totalLines));
  res.set('X-Capstan-Log-Cut-Lines', String(attempt.cutLines));
  res.set('X-Capstan-Worker', attempt.worker);
}

function attemptView(attempt: LogAttempt) {
  return {
    attempt: attempt.attempt,
    worker: attempt.worker,
    startedAt: attempt.startedAt.toISOString(),
    ...(attempt.endedAt ? { endedAt: attempt.endedAt.toISOString() } : {}),
    lines: attempt.totalLines,
    bytes: attempt.totalBytes,
    cutLines: attempt.cutLines,
    cutBytes: attempt.cutBytes,
  };
}

function noLog(target: LogTarget, attempt?: number): ApiError {
  const which = attempt === undefined ? 'no log' : `no log of attempt ${attempt}`;
  return new ApiError(404, 'log_not_found', `${which} for ${target.label} (not started yet, or no such task)`);
}

/** Retention removed the lines; the attempt is still listed, so say when rather than pretend it never ran. */
function gone(attempt: LogAttempt, target: LogTarget): void {
  if (attempt.removedAt)
    throw new ApiError(
      410,
      'log_removed',
      `the log of attempt ${attempt.attempt} for ${target.label} was removed on ${attempt.removedAt.toISOString()} (CAPSTAN_LOG_RETENTION_DAYS)`,
    );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
