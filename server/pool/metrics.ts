/**
 * Prometheus metrics of the pool manager (its own registry, scraped at the manager's /metrics).
 * Names follow the orchestration notes so Agones/Thundernetes dashboards translate.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ScaleReason } from "./policy.ts";

export interface PoolMetrics {
  readonly registry: Registry;
  nodes(region: string, counts: Record<string, number>): void;
  region(region: string, v: { warmRooms: number; utilization: number; desiredMin: number; desiredMax: number; forecastNodes: number | null; scheduledNodes: number }): void;
  scaleEvent(region: string, direction: "up" | "down", reason: ScaleReason): void;
  limited(region: string, reason: ScaleReason): void;
  drainStarted(region: string, source: "policy" | "operator"): void;
  drainFinished(region: string, outcome: "empty" | "timeout" | "exited", seconds: number): void;
  crash(region: string, phase: "before_ready" | "after_ready" | "hung"): void;
  timeToReady(region: string, seconds: number): void;
  text(): Promise<string>;
}

const STATES = ["starting", "ready", "draining", "stopping"] as const;

export function createPoolMetrics(): PoolMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ component: "pool-manager" });
  collectDefaultMetrics({ register: registry });
  const nodes = new Gauge({ name: "rally_pool_nodes", help: "Nodes by region and state", labelNames: ["region", "state"], registers: [registry] });
  const warm = new Gauge({ name: "rally_pool_warm_rooms", help: "Free room slots on starting and ready nodes (warm capacity)", labelNames: ["region"], registers: [registry] });
  const utilization = new Gauge({ name: "rally_pool_utilization_ratio", help: "Rooms / capacity of active nodes", labelNames: ["region"], registers: [registry] });
  const limits = new Gauge({ name: "rally_pool_limit_nodes", help: "Configured min and max nodes", labelNames: ["region", "bound"], registers: [registry] });
  const forecast = new Gauge({ name: "rally_pool_forecast_nodes", help: "Nodes the seasonal forecast asks for (shadow or on)", labelNames: ["region"], registers: [registry] });
  const scheduled = new Gauge({ name: "rally_pool_scheduled_nodes", help: "Nodes the peak schedule asks for now", labelNames: ["region"], registers: [registry] });
  const scale = new Counter({ name: "rally_pool_scale_events_total", help: "Scale decisions applied, by direction and reason", labelNames: ["region", "direction", "reason"], registers: [registry] });
  const limitedC = new Counter({ name: "rally_pool_scale_limited_total", help: "Steps that wanted a node but the region is at its max", labelNames: ["region", "reason"], registers: [registry] });
  const drains = new Counter({ name: "rally_pool_drains_total", help: "Drains started, by source", labelNames: ["region", "source"], registers: [registry] });
  const drainDone = new Histogram({
    name: "rally_pool_drain_duration_seconds", help: "Drain start to stop signal, by outcome", labelNames: ["region", "outcome"], registers: [registry],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
  });
  const crashes = new Counter({ name: "rally_pool_crashes_total", help: "Nodes that exited or hung without being asked to stop", labelNames: ["region", "phase"], registers: [registry] });
  const ready = new Histogram({
    name: "rally_pool_time_to_ready_seconds", help: "Node start to ready in the registry (cold start)", labelNames: ["region"], registers: [registry],
    buckets: [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60],
  });
  return {
    registry,
    nodes(region, counts) {
      for (const s of STATES) nodes.set({ region, state: s }, counts[s] ?? 0);
    },
    region(region, v) {
      warm.set({ region }, v.warmRooms);
      utilization.set({ region }, v.utilization);
      limits.set({ region, bound: "min" }, v.desiredMin);
      limits.set({ region, bound: "max" }, v.desiredMax);
      scheduled.set({ region }, v.scheduledNodes);
      if (v.forecastNodes !== null) forecast.set({ region }, v.forecastNodes);
    },
    scaleEvent: (region, direction, reason) => scale.inc({ region, direction, reason }),
    limited: (region, reason) => limitedC.inc({ region, reason }),
    drainStarted: (region, source) => drains.inc({ region, source }),
    drainFinished: (region, outcome, seconds) => drainDone.observe({ region, outcome }, seconds),
    crash: (region, phase) => crashes.inc({ region, phase }),
    timeToReady: (region, seconds) => ready.observe({ region }, seconds),
    text: () => registry.metrics(),
  };
}
