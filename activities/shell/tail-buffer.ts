/** Keeps only the last bytes of a stream, so a task that prints gigabytes costs the worker a fixed amount of memory. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private held = 0;
  /** Bytes seen in total, including those dropped. */
  totalBytes = 0;

  constructor(private readonly limitBytes: number) {}

  /** Appends a chunk and drops the oldest bytes past the limit. */
  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    this.chunks.push(chunk);
    this.held += chunk.length;
    while (this.held > this.limitBytes && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.held - this.limitBytes;
      if (first.length <= excess) {
        this.chunks.shift();
        this.held -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.held -= excess;
      }
    }
  }

  /** True when bytes were dropped. */
  get truncated(): boolean {
    return this.totalBytes > this.held;
  }

  /** The kept tail as UTF-8 text; a character cut at the start of the tail is dropped, not mangled. */
  text(): string {
    let tail = Buffer.concat(this.chunks);
    // Skip UTF-8 continuation bytes (10xxxxxx) left over from a character cut in half.
    let start = 0;
    while (this.truncated && start < tail.length && start < 4 && (tail[start]! & 0xc0) === 0x80) start += 1;
    tail = tail.subarray(start);
    return tail.toString('utf8');
  }
}
