/**
 * A few worker threads that parse large request bodies, so the event loop keeps answering others
 * while a 16 MB YAML document is read. Workers start on first use and are kept for the next body;
 * one that runs out of memory or time is replaced, and its body refused.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ApiError } from '../errors';
import type { ParseJob, ParseOutcome } from './parse-body';
import type { WorkerRequest } from './parse-worker';

/** Limits of the pool: threads, and what one body may cost a thread. */
export interface ParsePoolLimits {
  threads: number;
  timeoutMs: number;
  maxHeapMb: number;
}

/**
 * One thread fewer than the machine has cores (one at least, two at most), so parsing never takes
 * the core the event loop needs; a minute and 1 GiB of heap per body.
 */
export const DEFAULT_PARSE_POOL_LIMITS: ParsePoolLimits = {
  threads: Math.max(1, Math.min(2, availableParallelism() - 1)),
  timeoutMs: 60_000,
  maxHeapMb: 1024,
};

/** Parses bodies on worker threads, at most `threads` at once; others wait in line. */
export class ParsePool {
  private readonly idle: Worker[] = [];
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limits: ParsePoolLimits = DEFAULT_PARSE_POOL_LIMITS) {}

  /** Parses `bytes` on a worker thread; the bytes are moved there, so the caller must not reuse them. */
  async parse(bytes: Uint8Array, job: Omit<ParseJob, 'text'>): Promise<ParseOutcome> {
    if (this.running >= this.limits.threads) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    const worker = this.idle.pop() ?? this.spawn();
    try {
      const outcome = await this.run(worker, bytes, job);
      this.idle.push(worker);
      return outcome;
    } catch (err) {
      void worker.terminate();
      throw err;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private spawn(): Worker {
    const worker = new Worker(join(__dirname, 'parse-worker.js'), {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.maxHeapMb },
    });
    // An idle parser must not keep the process alive after the server closes.
    worker.unref();
    return worker;
  }

  private run(worker: Worker, bytes: Uint8Array, job: Omit<ParseJob, 'text'>): Promise<ParseOutcome> {
    // Only a whole ArrayBuffer can be moved; a view into a shared one is copied first.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
    return new Promise<ParseOutcome>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const onMessage = (outcome: ParseOutcome): void => {
        done();
        resolve(outcome);
      };
      const onError = (err: Error): void => {
        done();
        reject(
          tooComplex(
            (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `parsing it needs more than ${this.limits.maxHeapMb} MiB of memory`
              : `its parser failed: ${err.message}`,
          ),
        );
      };
      const onExit = (code: number): void => {
        done();
        reject(tooComplex(`its parser stopped with exit code ${code}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(tooComplex(`parsing it took more than ${this.limits.timeoutMs / 1000} s`));
      }, this.limits.timeoutMs);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      const request: WorkerRequest = { bytes: own, format: job.format, maxValueBytes: job.maxValueBytes };
      worker.postMessage(request, [own.buffer as ArrayBuffer]);
    });
  }
}

function tooComplex(reason: string): ApiError {
  return new ApiError(
    413,
    'payload_too_complex',
    `request body is too complex to read: ${reason}; send a smaller one`,
    [{ field: '(body)', message: reason }],
  );
}
