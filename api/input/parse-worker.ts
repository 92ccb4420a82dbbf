/** Worker-thread entry: parses the bodies the API hands over, so a large one never holds the event loop. */
import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { parseBody, type BodyFormat } from './parse-body';

/** What the API posts: the body's bytes (moved, not copied) and how to read them. */
export interface WorkerRequest {
  bytes: Uint8Array;
  format: BodyFormat;
  maxValueBytes?: number;
}

/**
 * On Linux a thread has its own nice value: this one yields the CPU to the event loop's thread, so
 * a parse competes with requests only for an idle core. Elsewhere the thread keeps the default.
 */
function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, constants.priority.PRIORITY_LOW);
  } catch {
    // Not Linux, or /proc not mounted: parsing still happens off the event loop.
  }
}

lowerThreadPriority();

parentPort?.on('message', (request: WorkerRequest) => {
  const text = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength).toString('utf8');
  parentPort!.postMessage(parseBody({ text, format: request.format, maxValueBytes: request.maxValueBytes }));
});
