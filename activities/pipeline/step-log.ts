/** A step's log: the attempt log of the task-log store, with the text-writing shape the checkout and artifact steps use. */
import type { AttemptLog } from '../logs';

/** An open step log; `write` buffers (memory stays bounded however much a step prints), `close` ends it with a last line. */
export interface StepLog {
  write(chunk: Buffer | string, stream?: 'o' | 'e'): void;
  close(finalLine?: string): Promise<void>;
}

/** The step log over `log`; without a log store, one that keeps nothing. */
export function stepLogOn(log: AttemptLog | undefined): StepLog {
  let open = true;
  return {
    write: (chunk, stream = 'o') => {
      if (open) log?.write(stream, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    },
    close: async (finalLine) => {
      if (!open) return;
      open = false;
      if (finalLine) log?.note(finalLine);
      await log?.close();
    },
  };
}
