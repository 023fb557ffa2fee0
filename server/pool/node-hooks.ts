/**
 * What a game node does for the pool: placement metrics (warm / cold / failed allocations and their
 * latency) and the shutdown watchdog that bounds how long a stopping process can hang.
 */
import { Counter, Histogram, type Registry } from "prom-client";

export type AllocationResult = "warm" | "cold" | "failed";

export interface PlacementMetrics {
  observe(region: string, result: AllocationResult, seconds: number): void;
}

/** Sub-10 ms buckets on top of Agones' 10 ms..3 s ones: a warm allocation is a registry read. */
export const ALLOCATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30];

export function createPlacementMetrics(registry: Registry): PlacementMetrics {
  const total = new Counter({ name: "rally_allocations_total", help: "Room placements by target region and result (warm: a ready node had room; cold: served after waiting for a node; failed: none)", labelNames: ["target_region", "result"], registers: [registry] });
  const duration = new Histogram({ name: "rally_allocation_duration_seconds", help: "Time to choose a node for a new room, by result", labelNames: ["result"], buckets: ALLOCATION_BUCKETS, registers: [registry] });
  return {
    observe(region, result, seconds) {
      total.inc({ target_region: region, result });
      duration.observe({ result }, seconds);
    },
  };
}

export interface WatchdogOptions {
  readonly graceS: number;
  readonly drainTimeoutS: number;
  readonly rooms: () => number;
  readonly logger: { warn(obj: object, msg: string): void };
  readonly exit?: (code: number) => void;
  readonly now?: () => number;
  readonly intervalMs?: number;
}

/**
 * Once started (on a stop request), exits the process when no room has been left for `graceS`, or
 * `drainTimeoutS + graceS` after the start whatever happens. Colyseus' graceful shutdown normally
 * finishes first; this only fires when it hangs (e.g. Redis unreachable).
 */
export function startShutdownWatchdog(options: WatchdogOptions): () => void {
  const now = options.now ?? Date.now;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const startedAt = now();
  let emptySince: number | null = null;
  const timer = setInterval(() => {
    const t = now();
    const rooms = options.rooms();
    emptySince = rooms === 0 ? emptySince ?? t : null;
    const idleFor = emptySince === null ? 0 : t - emptySince;
    if (idleFor >= options.graceS * 1000 || t - startedAt >= (options.drainTimeoutS + options.graceS) * 1000) {
      clearInterval(timer);
      options.logger.warn({ rooms, stoppingForMs: t - startedAt }, "shutdown did not finish in time; exiting");
      exit(rooms === 0 ? 0 : 1);
    }
  }, options.intervalMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}
