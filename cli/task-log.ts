/**
 * One task's log for the command line: printed whole as the API streams it, or followed as server-sent
 * events and resumed after a dropped connection, always written to stdout as it arrives.
 */
import { once } from 'node:events';
import { ApiCallError, followEvents, openStream, type ApiTarget } from './api-client';

/** Which attempt a log belongs to, as the API says it (headers of a whole log, the `attempt` event of a followed one). */
export interface AttemptInfo {
  attempt?: number;
  worker?: string;
}

/** How a followed log ended, as the API's `end` event says. */
export interface LogEnd extends AttemptInfo {
  state: 'ended' | 'lost' | 'no_log';
  message?: string;
}

/** Reconnections in a row before a follower gives up; each waits twice as long as the one before. */
const RETRIES = 5;
const FIRST_BACKOFF_MS = 500;
/** The API sends a keep-alive every 15 s, so this much silence means the connection is gone. */
const IDLE_MS = 45_000;

/** Writes to stdout, waiting while the reader (a pager, a slow pipe) has not taken what was written. */
export async function writeOut(text: string | Uint8Array): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** Prints a whole log as it arrives; `onStart` runs once the API has answered, before the first line. */
export async function printLog(
  api: ApiTarget,
  path: string,
  onStart?: (info: AttemptInfo) => void | Promise<void>,
): Promise<AttemptInfo> {
  const response = await openStream(api, path);
  const attempt = Number(response.headers.get('x-capstan-attempt'));
  const info: AttemptInfo = {
    ...(attempt > 0 ? { attempt } : {}),
    ...(response.headers.get('x-capstan-worker') ? { worker: response.headers.get('x-capstan-worker')! } : {}),
  };
  await onStart?.(info);
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) await writeOut(chunk);
  return info;
}

/**
 * Follows a log (`path` carries `follow=true`) until the API ends it, printing each `log` event's text.
 * A connection that drops is resumed with Last-Event-ID on the same attempt, so no line is lost or repeated.
 */
export async function followLog(
  api: ApiTarget,
  path: string,
  onAttempt?: (info: AttemptInfo) => void | Promise<void>,
): Promise<LogEnd> {
  let lastEventId: string | undefined;
  let attempt: number | undefined;
  let end: LogEnd | undefined;
  let failures = 0;
  for (;;) {
    let consumerError: unknown;
    // Pinned after the first answer: a resumed stream must not move on to a newer attempt under the same ids.
    const pinned = attempt !== undefined && !/[?&]attempt=/.test(path) ? `${path}&attempt=${attempt}` : path;
    let why: string;
    try {
      await followEvents(
        api,
        pinned,
        async (event, data, id) => {
          failures = 0;
          try {
            if (event === 'attempt' && attempt === undefined) {
              attempt = (data as AttemptInfo).attempt;
              await onAttempt?.(data as AttemptInfo);
            } else if (event === 'log') {
              await writeOut(data as string);
              if (id) lastEventId = id;
            } else if (event === 'end') end = data as LogEnd;
          } catch (err) {
            consumerError = err;
            throw err;
          }
        },
        { lastEventId, idleTimeoutMs: IDLE_MS },
      );
      if (end) return end;
      why = 'the API closed the stream before the log ended';
    } catch (err) {
      if (consumerError !== undefined) throw consumerError; // our own output failed: reconnecting cannot help
      // A refusal (bad query, unknown run, no such log) stays a refusal; a dropped line or a restarting API does not.
      if (err instanceof ApiCallError && err.status >= 400 && err.status < 500) throw err;
      why =
        err instanceof Error
          ? err.cause instanceof Error
            ? `${err.message}: ${err.cause.message}`
            : err.message
          : String(err);
    }
    if (++failures > RETRIES)
      throw new ApiCallError(0, 'stream_failed', `the log stream dropped ${RETRIES + 1} times in a row (${why})`);
    const wait = FIRST_BACKOFF_MS * 2 ** (failures - 1);
    const where = lastEventId ? `after event ${lastEventId}` : 'from the start';
    process.stderr.write(`capstan: log stream dropped (${why}); resuming ${where} in ${wait} ms\n`);
    await new Promise((r) => setTimeout(r, wait));
  }
}
