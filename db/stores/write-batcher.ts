/**
 * Groups the writes that arrive while one is in flight into one statement. The embedded database runs one query at a
 * time and each statement it commits costs a millisecond or two of its CPU (a batched row costs a tenth of that), so
 * the starts, ends and logs of a hundred task attempts of a fan-out cost a few statements, not hundreds. Writes of
 * every kind on one pool share one queue: a statement carries the starts, the ends and the logs that waited together.
 * A write that finds nothing in flight goes at once, so a lone attempt waits for nothing.
 */
import type { Pool } from 'pg';
import { isConnectionError } from '../pool';

/** One kind of write: how one item is written alone, and how many are written as part of a shared statement. */
export interface WriteKind<T> {
  /** A name unique among the kinds, used for the statement's CTE names (letters and underscores). */
  name: string;
  /** Writes one item in a statement of its own (the fast path of a lone write, and the fallback of a failed batch). */
  one(item: T): Promise<void>;
  /** The item as one element of the JSON array the kind's CTEs read. */
  row(item: T): unknown;
  /**
   * The kind's common table expressions, reading its items from the jsonb parameter `param` (as `$n`); names start
   * with the kind's name. They may not depend on each other's effects: one statement's parts see the same snapshot.
   */
  ctes(param: string): string;
}

interface Pending {
  kind: WriteKind<unknown>;
  item: unknown;
  resolve(): void;
  reject(err: unknown): void;
}

/** The write queue of one pool, shared by every store that writes attempts through it. */
export class SharedWriter {
  private queue: Pending[] = [];
  private running = false;

  constructor(
    private readonly db: Pool,
    private readonly maxBatch = 300,
  ) {}

  /** Resolves once the item is written; rejects with the error of its own write. */
  write<T>(kind: WriteKind<T>, item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: kind as WriteKind<unknown>, item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          if (batch.length === 1) await batch[0]!.kind.one(batch[0]!.item);
          else await this.writeMany(batch);
          for (const p of batch) p.resolve();
        } catch (err) {
          if (batch.length === 1 || isConnectionError(err)) {
            for (const p of batch) p.reject(err);
            continue;
          }
          // One bad row must not fail the others: each is written alone, and only its own error reaches it.
          await Promise.all(batch.map((p) => p.kind.one(p.item).then(p.resolve, p.reject)));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async writeMany(batch: Pending[]): Promise<void> {
    const byKind = new Map<WriteKind<unknown>, unknown[]>();
    for (const p of batch) {
      const rows = byKind.get(p.kind) ?? [];
      rows.push(p.kind.row(p.item));
      byKind.set(p.kind, rows);
    }
    const kinds = [...byKind.keys()];
    const ctes = kinds.map((kind, i) => kind.ctes(`$${i + 1}::jsonb`)).join(',\n');
    // The CTEs modify data, so each runs to completion though the statement selects nothing from them.
    await this.db.query(
      `WITH ${ctes} SELECT 1`,
      [...byKind.values()].map((rows) => JSON.stringify(rows)),
    );
  }
}

const writers = new WeakMap<Pool, SharedWriter>();

/** The shared writer of `db`: every store writing attempts through the same pool joins the same statements. */
export function sharedWriter(db: Pool): SharedWriter {
  let writer = writers.get(db);
  if (!writer) {
    writer = new SharedWriter(db);
    writers.set(db, writer);
  }
  return writer;
}
