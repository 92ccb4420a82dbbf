/** Worker-thread entry: parses the bodies the API hands over, so a large one never holds the event loop. */
import { parentPort } from 'node:worker_threads';
import { parseBody, type BodyFormat } from './parse-body';

/** What the API posts: the body's bytes (moved, not copied) and how to read them. */
export interface WorkerRequest {
  bytes: Uint8Array;
  format: BodyFormat;
  maxValueBytes?: number;
}

parentPort?.on('message', (request: WorkerRequest) => {
  const text = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength).toString('utf8');
  parentPort!.postMessage(parseBody({ text, format: request.format, maxValueBytes: request.maxValueBytes }));
});
