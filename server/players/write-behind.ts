/**
 * Bounded write-behind queue for non-critical writes (analytics events). `push` never blocks and
 * never throws: when the queue is full the oldest entry is dropped and counted. A timer flushes in
 * batches; `close()` flushes what is left (called on node shutdown). A failed batch is put back
 * (within the bound) and retried on the next flush.
 */
export interface WriteBehindOptions<T> {
  write(batch: readonly T[]): Promise<void>;
  max: number;
  batch: number;
  intervalMs: number;
  onError?(err: unknown): void;
}

export class WriteBehindQueue<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null;
  private flushing: Promise<void> | null = null;
  dropped = 0;
  written = 0;

  constructor(private readonly options: WriteBehindOptions<T>) {
    this.timer = setInterval(() => void this.flush(), options.intervalMs);
    this.timer.unref();
  }

  get size(): number { return this.items.length; }

  push(item: T): void {
    this.items.push(item);
    const over = this.items.length - this.options.max;
    if (over > 0) {
      this.items.splice(0, over);
      this.dropped += over;
    }
  }

  /** Writes everything queued so far (in batches). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.items.length ? this.flush() : undefined));
    this.flushing = (async () => {
      while (this.items.length) {
        const batch = this.items.splice(0, this.options.batch);
        try {
          await this.options.write(batch);
          this.written += batch.length;
        } catch (err) {
          this.items.unshift(...batch.slice(0, Math.max(0, this.options.max - this.items.length)));
          this.options.onError?.(err);
          return;
        }
      }
    })().finally(() => { this.flushing = null; });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
