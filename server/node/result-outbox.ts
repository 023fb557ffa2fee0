/**
 * Match results that could not be stored yet (the database is down) wait here and are retried with
 * exponential backoff until the store takes them: a database restart loses no result. The sink is
 * idempotent by matchId, so a retry after a write that did commit changes nothing.
 *
 * Bounded: at most `max` results wait; past that `report` throws (the room then retries on its own
 * and finally logs the result in full). `close()` makes one last attempt and logs whatever is still
 * unstored in full, so an operator can replay it.
 */
import { Gauge, Counter, type Registry } from "prom-client";
import type { MatchResult, MatchResultSink } from "../../rooms/index.ts";
import type { Logger } from "../log.ts";

export interface ResultOutboxOptions {
  /** The sink that stores a result (server/players/results.ts). */
  sink: MatchResultSink;
  logger: Logger;
  /** Most results waiting in memory. */
  max?: number;
  /** First retry delay; doubled per attempt up to maxDelayMs (with jitter). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  metricsRegistry?: Registry;
}

export type ReportOutcome = "stored" | "queued";

interface Pending {
  readonly result: MatchResult;
  attempts: number;
  timer: NodeJS.Timeout | null;
}

export class ResultOutbox {
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private readonly retries?: Counter;
  private readonly max: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: ResultOutboxOptions) {
    this.max = options.max ?? 10_000;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    if (options.metricsRegistry) {
      const registers = [options.metricsRegistry];
      const pending = this.pending;
      new Gauge({ name: "rally_results_pending", help: "Match results waiting to be stored (the store was unavailable)", registers, collect() { this.set(pending.size); } });
      this.retries = new Counter({ name: "rally_result_retries_total", help: "Attempts to store a waiting match result again", registers });
    }
  }

  get size(): number { return this.pending.size; }

  /** Stores the result now, or keeps it for retries when the store fails ("queued"). */
  async report(result: MatchResult): Promise<ReportOutcome> {
    if (this.pending.has(result.matchId)) return "queued";
    try {
      await this.options.sink.report(result);
      return "stored";
    } catch (err) {
      if (this.closed || this.pending.size >= this.max) throw err;
      const entry: Pending = { result, attempts: 1, timer: null };
      this.pending.set(result.matchId, entry);
      this.options.logger.warn({ err, matchId: result.matchId, waiting: this.pending.size }, "match result not stored yet; retrying until the store takes it");
      this.schedule(entry);
      return "queued";
    }
  }

  private schedule(entry: Pending): void {
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (entry.attempts - 1));
    entry.timer = setTimeout(() => void this.retry(entry), delay * (0.75 + Math.random() * 0.5));
    entry.timer.unref();
  }

  private async retry(entry: Pending): Promise<void> {
    entry.timer = null;
    if (this.closed) return;
    entry.attempts++;
    this.retries?.inc();
    try {
      await this.options.sink.report(entry.result);
      this.pending.delete(entry.result.matchId);
      this.options.logger.info({ matchId: entry.result.matchId, attempts: entry.attempts }, "match result stored after retries");
    } catch (err) {
      if (entry.attempts % 10 === 0) this.options.logger.warn({ err, matchId: entry.result.matchId, attempts: entry.attempts }, "match result still not stored");
      if (!this.closed) this.schedule(entry);
    }
  }

  /** Stops retrying: one last attempt for each waiting result; those still unstored are logged in full. */
  async close(): Promise<void> {
    this.closed = true;
    const left = [...this.pending.values()];
    for (const entry of left) if (entry.timer) clearTimeout(entry.timer);
    await Promise.all(left.map(async (entry) => {
      try {
        await this.options.sink.report(entry.result);
        this.pending.delete(entry.result.matchId);
      } catch (err) {
        this.options.logger.error({ err, matchId: entry.result.matchId, result: entry.result }, "match result could not be stored before shutdown; logged here in full");
      }
    }));
  }
}
