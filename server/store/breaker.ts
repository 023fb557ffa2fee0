/**
 * A circuit breaker around the Store, so that a database outage answers `503 STORE_UNAVAILABLE` at
 * once instead of piling up requests that each wait for a connection timeout.
 *
 * closed: calls go through; a connection failure or a call slower than `timeoutMs` counts, a success
 * resets the count. After `failures` in a row it opens. open: every call fails fast with
 * STORE_UNAVAILABLE for `openMs`. half-open: one probe call goes through (the others keep failing
 * fast); its success closes the breaker, its failure opens it again.
 *
 * Only "the database cannot be reached" errors count (see isStoreUnavailableError): a constraint
 * violation or a RallyError from the store is an answer from a live database and passes through.
 *
 * Hand-written rather than opossum: opossum wraps one function per breaker, counts a percentage of
 * failures in rolling-window buckets kept by its own interval timer, and would need an error filter
 * and a thunk-calling action to cover the ~40 methods of the Store; the state machine we need is the
 * few lines below, with an injected clock and no background timer (only each call's own timeout).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { RallyError } from "../errors.ts";
import type { Store } from "./store.ts";

export type BreakerState = "closed" | "open" | "half-open";

export interface StoreBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failures: number;
  /** How long it stays open before a probe. */
  openMs: number;
  /** A call slower than this fails with STORE_UNAVAILABLE and counts as a failure. */
  timeoutMs: number;
  now?: () => number;
  onStateChange?(state: BreakerState, cause?: unknown): void;
  /** Registers rally_store_breaker_state and rally_store_unavailable_total. */
  metricsRegistry?: Registry;
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH",
  // PostgreSQL: admin/crash shutdown, cannot connect now (starting up), too many connections
  "57P01", "57P02", "57P03", "53300",
]);
const CONNECTION_MESSAGES = /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed|server closed the connection|topology was destroyed|not connected/i;
const CONNECTION_NAMES = new Set(["MongoNetworkError", "MongoServerSelectionError", "MongoNotConnectedError", "MongoTopologyClosedError"]);

/** True for errors that say the database cannot be reached (rather than that it refused the operation). */
export function isStoreUnavailableError(err: unknown): boolean {
  if (err instanceof RallyError) return err.code === "STORE_UNAVAILABLE";
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === "string" && (CONNECTION_CODES.has(e.code) || e.code.startsWith("08"))) return true; // SQLSTATE class 08: connection exception
  if (typeof e.name === "string" && CONNECTION_NAMES.has(e.name)) return true;
  if (typeof e.message === "string" && CONNECTION_MESSAGES.test(e.message)) return true;
  // AggregateError (a host with several addresses, each refused)
  return Array.isArray(e.errors) && e.errors.some(isStoreUnavailableError);
}

class TimeoutError extends Error {}

export class StoreBreaker {
  private state_: BreakerState = "closed";
  private failed = 0;
  private openedAt = 0;
  private probing = false;
  private readonly now: () => number;
  private readonly stateGauge?: Gauge;
  private readonly unavailable?: Counter;

  constructor(private readonly options: StoreBreakerOptions) {
    this.now = options.now ?? Date.now;
    if (options.metricsRegistry) {
      const registers = [options.metricsRegistry];
      this.stateGauge = new Gauge({ name: "rally_store_breaker_open", help: "1 while the store circuit breaker is open or half-open (the store is unreachable)", registers });
      this.unavailable = new Counter({ name: "rally_store_unavailable_total", help: "Store calls answered STORE_UNAVAILABLE (failed or refused by the open breaker)", registers });
    }
  }

  get state(): BreakerState {
    if (this.state_ === "open" && this.now() - this.openedAt >= this.options.openMs) return "half-open";
    return this.state_;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === "open" || (state === "half-open" && this.probing)) throw this.refuse();
    const probe = state === "half-open";
    if (probe) this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        call(),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new TimeoutError(`store call took over ${this.options.timeoutMs} ms`)), this.options.timeoutMs); }),
      ]);
      this.succeeded();
      return result;
    } catch (err) {
      if (!(err instanceof TimeoutError) && !isStoreUnavailableError(err)) {
        this.succeeded(); // the database answered
        throw err;
      }
      this.failure(err);
      throw this.refuse(err);
    } finally {
      clearTimeout(timer);
      if (probe) this.probing = false;
    }
  }

  private refuse(cause?: unknown): RallyError {
    this.unavailable?.inc();
    return new RallyError("STORE_UNAVAILABLE", undefined, cause === undefined ? undefined : { cause });
  }

  private succeeded(): void {
    this.failed = 0;
    if (this.state_ !== "closed") this.transition("closed");
  }

  private failure(cause: unknown): void {
    this.failed++;
    if (this.state_ === "open" || this.failed >= this.options.failures) {
      this.openedAt = this.now();
      if (this.state_ !== "open") this.transition("open", cause);
    }
  }

  private transition(state: BreakerState, cause?: unknown): void {
    this.state_ = state;
    this.stateGauge?.set(state === "closed" ? 0 : 1);
    this.options.onStateChange?.(state, cause);
  }
}

/**
 * The same Store with every repository method run through the breaker. `close()` is not guarded.
 * Repositories are wrapped generically, so a method added to the Store later is covered too.
 */
export function guardStore(store: Store, breaker: StoreBreaker): Store {
  const guarded = new Map<PropertyKey, unknown>();
  const guardRepository = <R extends object>(repo: R): R => {
    const methods = new Map<PropertyKey, unknown>();
    return new Proxy(repo, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== "function") return value;
        let wrapped = methods.get(key);
        if (!wrapped) methods.set(key, (wrapped = (...args: unknown[]) => breaker.run(() => Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args)))));
        return wrapped;
      },
    });
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "object" || value === null) return value;
      let wrapped = guarded.get(key);
      if (!wrapped) guarded.set(key, (wrapped = guardRepository(value)));
      return wrapped;
    },
  });
}
