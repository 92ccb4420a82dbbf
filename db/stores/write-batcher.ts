/**
 * Groups the writes that arrive while one is in flight into one statement. The embedded database runs one query at a
 * time, so a hundred task attempts of a fan-out starting or ending together cost a few statements, not a hundred;
 * a write that finds nothing in flight goes at once, so a lone attempt waits for nothing.
 */
import { isConnectionError } from '../pool';

interface Pending<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

/** One queue of same-shaped writes, written by `writeMany` when several wait and by `writeOne` when one does. */
export class WriteBatcher<T> {
  private queue: Array<Pending<T>> = [];
  private running = false;

  constructor(
    private readonly writeOne: (item: T) => Promise<void>,
    private readonly writeMany: (items: T[]) => Promise<void>,
    private readonly maxBatch = 200,
  ) {}

  /** Resolves once the item is written; rejects with the error of its own write. */
  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          if (batch.length === 1) await this.writeOne(batch[0]!.item);
          else await this.writeMany(batch.map((p) => p.item));
          for (const p of batch) p.resolve();
        } catch (err) {
          if (batch.length === 1 || isConnectionError(err)) {
            for (const p of batch) p.reject(err);
            continue;
          }
          // One bad row must not fail the others: each is written alone, and only its own error reaches it.
          await Promise.all(batch.map((p) => this.writeOne(p.item).then(p.resolve, p.reject)));
        }
      }
    } finally {
      this.running = false;
    }
  }
}
