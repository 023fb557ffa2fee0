/**
 * Retention: deletes chat messages older than CHAT_RETENTION_DAYS and inbox items older than
 * INBOX_RETENTION_DAYS. Every node runs it on its own timer (started explicitly); the deletes are
 * idempotent and bounded per batch, so two nodes pruning at once only share the work.
 */
import type { Store } from "../store/index.ts";

export interface PruneOptions {
  store: Store;
  chatRetentionMs: number;
  inboxRetentionMs: number;
  intervalMs: number;
  /** Rows per delete statement (default 1000); one run stops after 50 full batches per table. */
  batch?: number;
  now?: () => number;
  onError?(err: unknown): void;
}

export class RetentionPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: PruneOptions) {}

  /** One pass over both tables; returns what it deleted. */
  async run(): Promise<{ chat: number; inbox: number }> {
    const now = (this.o.now ?? Date.now)();
    const batch = this.o.batch ?? 1000;
    const drain = async (prune: (olderThan: number, limit: number) => Promise<number>, olderThan: number) => {
      let total = 0;
      for (let i = 0; i < 50; i++) {
        const n = await prune(olderThan, batch);
        total += n;
        if (n < batch) break;
      }
      return total;
    };
    return {
      chat: await drain((t, l) => this.o.store.chat.prune(t, l), now - this.o.chatRetentionMs),
      inbox: await drain((t, l) => this.o.store.inbox.prune(t, l), now - this.o.inboxRetentionMs),
    };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.run().catch((err) => this.o.onError?.(err));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
