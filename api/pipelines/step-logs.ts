/** Reading pipeline step logs from the log store: whole, or followed live as server-sent events. */
import type { Response } from 'express';
import { open, readFile, stat } from 'node:fs/promises';
import { stepLogPath } from '../../config/run-files';
import { ApiError } from '../errors';

/** How much of a log one event carries, so memory stays bounded however long the log. */
const CHUNK_BYTES = 64 * 1024;
const POLL_MS = 300;

/** The whole log of a step; 404 when the step has not started (or the run or job is unknown). */
export async function readStepLog(logDir: string, runId: string, job: string, step: string): Promise<string> {
  try {
    return await readFile(stepLogPath(logDir, runId, job, step), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ApiError(
        404,
        'log_not_found',
        `no log for step ${step} of job "${job}" in run "${runId}" (not started yet, or no such step)`,
      );
    throw err;
  }
}

/**
 * Streams the log as server-sent events: `log` events with the text as it grows, then `end` once
 * `ended()` says the step is over and everything written has been sent.
 */
export async function followStepLog(
  logDir: string,
  runId: string,
  job: string,
  step: string,
  res: Response,
  ended: () => Promise<boolean>,
): Promise<void> {
  const path = stepLogPath(logDir, runId, job, step);
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  let offset = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const buffer = Buffer.alloc(CHUNK_BYTES);
  while (!closed) {
    const size = await stat(path).then(
      (s) => s.size,
      () => -1,
    );
    if (size > offset) {
      const handle = await open(path, 'r');
      try {
        while (offset < size && !closed) {
          const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, size - offset), offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          // JSON keeps newlines and any byte sequence inside one `data:` line.
          res.write(`event: log\ndata: ${JSON.stringify(buffer.subarray(0, bytesRead).toString('utf8'))}\n\n`);
        }
      } finally {
        await handle.close();
      }
      continue;
    }
    if (await ended()) {
      // One more look: the last bytes may have landed between the size check and the state query.
      const final = await stat(path).then(
        (s) => s.size,
        () => -1,
      );
      if (final <= offset) break;
      continue;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (!closed) res.end(`event: end\ndata: ${JSON.stringify({ bytes: offset })}\n\n`);
}
