/**
 * One attempt's log as the worker writes it: lines from stdout and stderr, masked, stamped and sent
 * to the log store every few hundred milliseconds, with the head and the tail kept under a size limit.
 */
import type { Logger } from '../../config/logger';
import type { AttemptKey } from '../../db/stores/attempt-ledger';
import type { LogChunk, LogOpen, LogRun, LogTotals, TaskLogStore } from '../../db/stores/task-log-store';
import { retryWrite } from '../metering/retry-write';
import { LineSplitter, type LineBlock } from './line-splitter';
import type { SecretMasker } from './secret-masker';

/** Where and how one attempt's log is written. */
export interface AttemptLogOptions {
  store: TaskLogStore;
  key: AttemptKey;
  worker: string;
  /** Bytes kept per attempt: the first half and the last half of what is printed (CAPSTAN_LOG_MAX_BYTES). */
  limitBytes: number;
  masker: SecretMasker;
  logger: Logger;
  /** How often buffered lines are written; followers see lines this late at most (plus their own polling). */
  flushMs?: number;
}

/** Lines written together; small enough for one quick statement, large enough that a flood costs few of them. */
const CHUNK_BYTES = 64 * 1024;
/** While a command prints nothing, the log is marked alive this often, so readers can tell quiet from lost. */
export const LOG_TOUCH_MS = 5000;
/** How long the end of an attempt waits for an unreachable database before giving up the unwritten lines. */
const CLOSE_DEADLINE_MS = 30_000;
/** How long the attempt itself waits for its log to be closed; writing goes on in the background past it. */
const CLOSE_WAIT_MS = 2000;

/** Consecutive lines of one stream read at one time, waiting to be written. */
interface Block {
  firstLine: number;
  offset: number;
  stream: LogRun[1];
  ms: number;
  text: string;
  lines: number;
  bytes: number;
}

/** An open attempt log; `write` and `note` never block, `close` flushes and marks the log ended. */
export class AttemptLog {
  private readonly startedAt = Date.now();
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly splitters = { o: new LineSplitter(), e: new LineSplitter() };
  private readonly totals: LogTotals = { totalLines: 0, totalBytes: 0, cutLines: 0, cutBytes: 0 };
  private headBytes = 0;
  private headFull = false;
  private pendingHead: Block[] = [];
  private pendingTail: Block[] = [];
  private pendingTailBytes = 0;
  /** Set when unwritten tail lines were dropped: tail chunks already stored are older still, so they go too. */
  private dropStoredTail = false;
  private seq = 0;
  private lastHeadSeq = 0;
  private storedTail: Array<{ seq: number; lines: number; bytes: number }> = [];
  private storedTailBytes = 0;
  private draining: Promise<void> | undefined;
  /** Set once the log's row is being written: at the first write, or the first tick while the command is quiet. */
  private opened: Promise<void> | undefined;
  private broken = false;
  private readonly closeAbort = new AbortController();
  private lastWriteAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private closed: Promise<void> | undefined;
  /** Set once nothing more can be added: the write that empties the buffers also closes the log. */
  private ending = false;
  private endWritten = false;

  constructor(private readonly options: AttemptLogOptions) {
    this.headLimit = Math.floor(options.limitBytes / 2);
    this.tailLimit = options.limitBytes - this.headLimit;
    // The row is not written yet: an attempt that ends before the first tick writes its whole log in one statement.
    this.timer = setInterval(() => this.tick(), options.flushMs ?? 200);
  }

  /** Adds what a stream printed; complete lines are buffered for the next write. */
  write(stream: 'o' | 'e', chunk: Buffer): void {
    const block = this.splitters[stream].push(chunk);
    if (block) this.add(stream, block);
  }

  /** Adds a line of Capstan's own (why the attempt ended, a timeout), marked as such. */
  note(text: string): void {
    this.add('c', { text: `${text}\n`, lines: text.split('\n').length });
  }

  /**
   * Writes what is left and marks the log ended, waiting at most `waitMs` (the rest carries on in the
   * background): a database that is away must not hold the attempt's result, nor its slot.
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<LogTotals> {
    this.closed ??= this.finish();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    return this.totals;
  }

  private async finish(): Promise<void> {
    for (const stream of ['o', 'e'] as const) {
      const block = this.splitters[stream].end();
      if (block) this.add(stream, block);
    }
    clearInterval(this.timer);
    this.ending = true;
    const deadline = setTimeout(() => this.closeAbort.abort(), CLOSE_DEADLINE_MS);
    try {
      const whole = this.opened === undefined && !this.broken ? this.wholeLog() : undefined;
      if (whole) {
        await this.retrying(() =>
          this.options.store.writeWhole({ ...this.openRow(), totals: { ...this.totals }, chunk: whole }),
        );
        this.endWritten = true;
        return;
      }
      await this.open();
      await this.flush();
      if (!this.broken && !this.endWritten)
        await this.retrying(() => this.options.store.close(this.options.key, this.totals));
    } catch (err) {
      this.options.logger.warn({ ...this.options.key, err: (err as Error).message }, 'task log: end not written');
    } finally {
      clearTimeout(deadline);
    }
  }

  private add(stream: LogRun[1], lines: LineBlock): void {
    const text = this.options.masker.maskLines(lines.text);
    const block: Block = {
      firstLine: this.totals.totalLines + 1,
      offset: this.totals.totalBytes,
      stream,
      ms: Math.min(Date.now() - this.startedAt, 2 ** 31 - 1),
      text,
      lines: lines.lines,
      bytes: Buffer.byteLength(text),
    };
    this.totals.totalLines += block.lines;
    this.totals.totalBytes += block.bytes;
    if (!this.headFull) {
      const [head, rest] = splitBlock(block, this.headLimit - this.headBytes);
      if (head) {
        this.headBytes += head.bytes;
        this.pendingHead.push(head);
      }
      if (!rest) return this.flushWhenFull();
      this.headFull = true;
      this.addToTail(rest);
    } else {
      this.addToTail(block);
    }
    this.flushWhenFull();
  }

  /** A command printing faster than the database takes it loses the middle, never the worker's memory. */
  private addToTail(block: Block): void {
    this.pendingTail.push(block);
    this.pendingTailBytes += block.bytes;
    let drop = 0;
    while (this.pendingTailBytes - this.pendingTail[drop]!.bytes >= this.tailLimit) {
      const gone = this.pendingTail[drop++]!;
      this.pendingTailBytes -= gone.bytes;
      this.totals.cutLines += gone.lines;
      this.totals.cutBytes += gone.bytes;
    }
    if (drop === 0) return;
    this.pendingTail = this.pendingTail.slice(drop);
    this.dropStoredTail = true;
  }

  private flushWhenFull(): void {
    if (this.pendingTailBytes >= CHUNK_BYTES || this.pendingHead.length >= 64) void this.flush();
  }

  private tick(): void {
    if (this.pendingHead.length > 0 || this.pendingTail.length > 0) {
      void this.flush();
    } else if (this.opened === undefined) {
      // A quiet command: its log is listed as running from now on.
      void this.open();
    } else if (Date.now() - this.lastWriteAt >= LOG_TOUCH_MS && !this.broken) {
      this.lastWriteAt = Date.now();
      this.options.store.touch(this.options.key).catch(() => undefined);
    }
  }

  /** Writes everything buffered, a chunk at a time; calls made while a drain runs share it. */
  private flush(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    await this.open();
    while (!this.broken && (this.pendingHead.length > 0 || this.pendingTail.length > 0)) {
      const fromHead = this.pendingHead.length > 0;
      const blocks = takeChunk(fromHead ? this.pendingHead : this.pendingTail);
      const bytes = blocks.reduce((total, b) => total + b.bytes, 0);
      const lines = blocks.reduce((total, b) => total + b.lines, 0);
      const seq = ++this.seq;
      let dropThrough = 0;
      if (fromHead) {
        this.lastHeadSeq = seq;
      } else {
        this.pendingTailBytes -= bytes;
        if (this.dropStoredTail) dropThrough = this.dropAllStoredTail();
        this.storedTail.push({ seq, lines, bytes });
        this.storedTailBytes += bytes;
        while (this.storedTailBytes - this.storedTail[0]!.bytes >= this.tailLimit) {
          const gone = this.storedTail.shift()!;
          this.storedTailBytes -= gone.bytes;
          this.totals.cutLines += gone.lines;
          this.totals.cutBytes += gone.bytes;
          dropThrough = gone.seq;
        }
      }
      const chunk: LogChunk = {
        seq,
        firstLine: blocks[0]!.firstLine,
        byteOffset: blocks[0]!.offset,
        runs: runsOf(blocks),
        body: blocks.map((b) => b.text).join(''),
      };
      const totals = { ...this.totals };
      const last = this.ending && this.pendingHead.length === 0 && this.pendingTail.length === 0;
      try {
        await this.retrying(() =>
          this.options.store.append(this.options.key, chunk, totals, this.lastHeadSeq, dropThrough, last),
        );
        this.lastWriteAt = Date.now();
        if (last) this.endWritten = true;
      } catch (err) {
        this.giveUp(err as Error);
      }
    }
  }

  /** Writes the log's row (once), as running. */
  private open(): Promise<void> {
    this.opened ??= this.retrying(() => this.options.store.open(this.openRow())).catch((err: Error) =>
      this.giveUp(err),
    );
    return this.opened;
  }

  private openRow(): LogOpen {
    return {
      ...this.options.key,
      worker: this.options.worker,
      startedAt: new Date(this.startedAt),
      limitBytes: this.options.limitBytes,
    };
  }

  /** Everything buffered as the log's first and only chunk, when it is one (nothing cut, nothing written yet); else undefined. */
  private wholeLog(): LogChunk | undefined {
    if (this.pendingTail.length > 0 || this.dropStoredTail || this.seq > 0) return undefined;
    const blocks = this.pendingHead;
    const bytes = blocks.reduce((total, b) => total + b.bytes, 0);
    if (blocks.length === 0 || bytes > CHUNK_BYTES) return undefined;
    this.pendingHead = [];
    this.seq = 1;
    this.lastHeadSeq = 1;
    return {
      seq: 1,
      firstLine: blocks[0]!.firstLine,
      byteOffset: blocks[0]!.offset,
      runs: runsOf(blocks),
      body: blocks.map((b) => b.text).join(''),
    };
  }

  private dropAllStoredTail(): number {
    this.dropStoredTail = false;
    const last = this.storedTail.at(-1);
    for (const gone of this.storedTail) {
      this.totals.cutLines += gone.lines;
      this.totals.cutBytes += gone.bytes;
    }
    this.storedTail = [];
    this.storedTailBytes = 0;
    return last?.seq ?? 0;
  }

  /** A database that refuses a write (or stays away past the end) leaves the rest of the attempt unlogged, never failed. */
  private giveUp(err: Error): void {
    if (this.broken) return;
    this.broken = true;
    this.pendingHead = [];
    this.pendingTail = [];
    this.options.logger.error(
      { ...this.options.key, err: err.message },
      'task log: write failed; the rest of this attempt is not logged',
    );
  }

  /** Retries while the database is unreachable (after the attempt ended, only until the close deadline). */
  private retrying(write: () => Promise<void>): Promise<void> {
    return retryWrite(write, {
      signal: this.closeAbort.signal,
      onError: (err) =>
        this.options.logger.warn({ ...this.options.key, err: err.message }, 'task log write failed; retrying'),
    });
  }
}

/** The lines of `block` that fit in `room` bytes, and the rest; either may be undefined. */
function splitBlock(block: Block, room: number): [Block | undefined, Block | undefined] {
  if (block.bytes <= room) return [block, undefined];
  let end = 0;
  let bytes = 0;
  let lines = 0;
  for (let nl = block.text.indexOf('\n'); nl !== -1; nl = block.text.indexOf('\n', nl + 1)) {
    const lineBytes = Buffer.byteLength(block.text.slice(end, nl + 1));
    if (bytes + lineBytes > room) break;
    bytes += lineBytes;
    lines++;
    end = nl + 1;
  }
  if (lines === 0) return [undefined, block];
  return [
    { ...block, text: block.text.slice(0, end), lines, bytes },
    {
      ...block,
      firstLine: block.firstLine + lines,
      offset: block.offset + bytes,
      text: block.text.slice(end),
      lines: block.lines - lines,
      bytes: block.bytes - bytes,
    },
  ];
}

/** Removes and returns the first blocks of `queue` up to CHUNK_BYTES, stopping where line numbers jump (a cut). */
function takeChunk(queue: Block[]): Block[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length) {
    const block = queue[n]!;
    const previous = queue[n - 1];
    if (previous && (bytes + block.bytes > CHUNK_BYTES || block.firstLine !== previous.firstLine + previous.lines))
      break;
    bytes += block.bytes;
    n++;
  }
  return queue.splice(0, n);
}

/** The blocks' stream-and-time marks, neighbours with the same stream and millisecond merged. */
function runsOf(blocks: Block[]): LogRun[] {
  const runs: LogRun[] = [];
  for (const block of blocks) {
    const last = runs.at(-1);
    if (last && last[1] === block.stream && last[2] === block.ms) last[0] += block.lines;
    else runs.push([block.lines, block.stream, block.ms]);
  }
  return runs;
}
