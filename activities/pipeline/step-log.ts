/** A step's log file: output is appended as it arrives, so memory stays bounded however much a step prints. */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** An open log; `write` appends synchronously (a chunk at a time), `close` ends it with a final line. */
export interface StepLog {
  write(chunk: Buffer | string): void;
  close(finalLine?: string): void;
}

/** Creates (or truncates, for a retried step) the log at `path`. */
export function openStepLog(path: string): StepLog {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  let open = true;
  return {
    // Synchronous writes keep nothing queued in memory: a flood of output waits on the disk, not the heap.
    write: (chunk) => {
      if (open) writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    },
    close: (finalLine) => {
      if (!open) return;
      if (finalLine) writeSync(fd, `${finalLine}\n`);
      closeSync(fd);
      open = false;
    },
  };
}
