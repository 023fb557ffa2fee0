/**
 * The scaling policy: pure functions over one region's nodes, with the time passed in. No timers, no
 * I/O; the manager (manager.ts) feeds them what it observed and applies what they return.
 *
 * Per region: keep between `min` and `max` active nodes (starting + ready; draining nodes are leaving
 * and count for nothing), keep `warmRooms` free room slots ready (Agones' buffer), scale up when
 * utilization > `scaleUpUtilization`, the oldest wait for capacity > `queueWaitUpS` (tickets whose
 * match found no node; a queue that lacks players never scales up), a schedule says a peak
 * is near, or the forecast (mode "on") asks for more; scale down only after utilization stayed under
 * `scaleDownUtilization` for `scaleDownAfterMs`, and only when removing the emptiest node would not
 * itself trigger a scale-up (the hysteresis that prevents flapping). At most one node per step.
 *
 * Scale-down never stops a node: it names a node to drain. `drainAction` says when a draining node may
 * be stopped: once it hosts no room, or (graceful SIGTERM only) after the drain maximum.
 */
import { cronFiresWithin, parseCron, type CronExpr } from "./cron.ts";

export const PoolPhase = { STARTING: "starting", READY: "ready", DRAINING: "draining", STOPPING: "stopping" } as const;
export type PoolPhase = (typeof PoolPhase)[keyof typeof PoolPhase];

export interface RegionLimits {
  readonly min: number;
  readonly max: number;
}

export interface PolicyConfig {
  /** Free room slots kept on active nodes. */
  readonly warmRooms: number;
  readonly scaleUpUtilization: number;
  readonly scaleDownUtilization: number;
  /** Utilization must stay under the scale-down threshold this long. */
  readonly scaleDownAfterMs: number;
  /** Least time between two scale-downs in a region (after the first one of a low period). */
  readonly scaleDownCooldownMs: number;
  readonly queueWaitUpS: number;
}

export const defaultPolicy: PolicyConfig = Object.freeze({
  warmRooms: 10,
  scaleUpUtilization: 0.7,
  scaleDownUtilization: 0.3,
  scaleDownAfterMs: 15 * 60_000,
  scaleDownCooldownMs: 60_000,
  queueWaitUpS: 60,
});

/** What the policy needs to know about one node. */
export interface NodeView {
  readonly id: string;
  readonly phase: PoolPhase;
  readonly rooms: number;
  readonly capacity: number;
}

export interface RegionSignals {
  /**
   * Oldest ticket wait in the region's queue (seconds), when the matchmaker publishes it. Not a
   * scaling trigger: more nodes cannot fill a queue that lacks players.
   */
  readonly queueWaitS?: number | null;
  /** Oldest wait (seconds) of the region's tickets whose match found no node to run on: the queue-time trigger. */
  readonly capacityWaitS?: number | null;
  /** Nodes a scheduled peak asks for (0 when no peak is near). */
  readonly scheduledNodes?: number;
  /** Nodes the forecast asks for, when the forecast is on (never used to remove nodes). */
  readonly forecastNodes?: number | null;
}

/** What the policy remembers between steps, per region. Owned by the caller, returned updated. */
export interface RegionMemory {
  /** Since when utilization has been under the scale-down threshold (null: it is not). */
  readonly lowSince: number | null;
  readonly lastDownAt: number | null;
}

export const emptyMemory: RegionMemory = Object.freeze({ lowSince: null, lastDownAt: null });

export const ScaleReason = {
  BELOW_MIN: "below-min",
  ABOVE_MAX: "above-max",
  UTILIZATION: "utilization",
  BUFFER: "buffer",
  QUEUE_WAIT: "queue-wait",
  SCHEDULE: "schedule",
  FORECAST: "forecast",
  LOW_UTILIZATION: "low-utilization",
} as const;
export type ScaleReason = (typeof ScaleReason)[keyof typeof ScaleReason];

export type Decision =
  | { readonly action: "none"; readonly limited: boolean; readonly reason?: ScaleReason }
  | { readonly action: "up"; readonly reason: ScaleReason }
  | { readonly action: "down"; readonly reason: ScaleReason; readonly nodeId: string };

export interface RegionLoad {
  readonly active: number;
  readonly rooms: number;
  readonly capacity: number;
  readonly free: number;
  /** rooms / capacity of active nodes; 1 when there is no capacity but demand is unknown. */
  readonly utilization: number;
}

const isActive = (n: NodeView) => n.phase === PoolPhase.STARTING || n.phase === PoolPhase.READY;

export function regionLoad(nodes: readonly NodeView[]): RegionLoad {
  let active = 0, rooms = 0, capacity = 0;
  for (const n of nodes) {
    if (!isActive(n)) continue;
    active++;
    rooms += n.rooms;
    capacity += n.capacity;
  }
  return { active, rooms, capacity, free: Math.max(0, capacity - rooms), utilization: capacity > 0 ? rooms / capacity : 1 };
}

/** The node scale-down drains: the emptiest active node; a starting one before a ready one; then the lowest id. */
export function pickVictim(nodes: readonly NodeView[]): NodeView | null {
  let best: NodeView | null = null;
  for (const n of nodes) {
    if (!isActive(n)) continue;
    if (!best || n.rooms < best.rooms
      || (n.rooms === best.rooms && n.phase === PoolPhase.STARTING && best.phase !== PoolPhase.STARTING)
      || (n.rooms === best.rooms && (n.phase === PoolPhase.STARTING) === (best.phase === PoolPhase.STARTING) && n.id < best.id)) best = n;
  }
  return best;
}

/** One step for one region: at most one node up or one node down. */
export function decide(
  nodes: readonly NodeView[],
  limits: RegionLimits,
  config: PolicyConfig,
  signals: RegionSignals,
  memory: RegionMemory,
  now: number,
): { decision: Decision; memory: RegionMemory; load: RegionLoad } {
  const load = regionLoad(nodes);
  const floor = Math.max(limits.min, signals.scheduledNodes ?? 0, signals.forecastNodes ?? 0);
  const done = (decision: Decision, mem: RegionMemory) => ({ decision, memory: mem, load });

  if (load.active < limits.min) return done({ action: "up", reason: ScaleReason.BELOW_MIN }, { ...memory, lowSince: null });
  if (load.active > limits.max) {
    const victim = pickVictim(nodes);
    if (victim) return done({ action: "down", reason: ScaleReason.ABOVE_MAX, nodeId: victim.id }, { lowSince: null, lastDownAt: now });
  }

  const upReason = scaleUpReason(load, config, signals);
  if (upReason) {
    if (load.active >= limits.max) return done({ action: "none", limited: true, reason: upReason }, { ...memory, lowSince: null });
    return done({ action: "up", reason: upReason }, { ...memory, lowSince: null });
  }

  if (load.utilization >= config.scaleDownUtilization || load.active <= limits.min) {
    return done({ action: "none", limited: false }, { ...memory, lowSince: null });
  }
  const lowSince = memory.lowSince ?? now;
  const mem = { ...memory, lowSince };
  if (now - lowSince < config.scaleDownAfterMs) return done({ action: "none", limited: false }, mem);
  if (memory.lastDownAt !== null && now - memory.lastDownAt < config.scaleDownCooldownMs) return done({ action: "none", limited: false }, mem);
  if (load.active <= floor) return done({ action: "none", limited: false }, mem);
  const victim = pickVictim(nodes);
  if (!victim) return done({ action: "none", limited: false }, mem);
  // Hysteresis: after the drain the region must not want that node back.
  const after: RegionLoad = (() => {
    const capacity = load.capacity - victim.capacity;
    const rooms = load.rooms; // the victim's rooms finish where they are, but new demand lands on the rest
    return { active: load.active - 1, rooms, capacity, free: Math.max(0, capacity - rooms), utilization: capacity > 0 ? rooms / capacity : 1 };
  })();
  if (scaleUpReason(after, config, { ...signals, scheduledNodes: 0, forecastNodes: null })) return done({ action: "none", limited: false }, mem);
  return done({ action: "down", reason: ScaleReason.LOW_UTILIZATION, nodeId: victim.id }, { lowSince, lastDownAt: now });
}

function scaleUpReason(load: RegionLoad, config: PolicyConfig, signals: RegionSignals): ScaleReason | null {
  if (load.active > 0 && load.utilization > config.scaleUpUtilization) return ScaleReason.UTILIZATION;
  if (load.free < config.warmRooms) return ScaleReason.BUFFER;
  if (signals.capacityWaitS != null && signals.capacityWaitS > config.queueWaitUpS) return ScaleReason.QUEUE_WAIT;
  if (signals.scheduledNodes && load.active < signals.scheduledNodes) return ScaleReason.SCHEDULE;
  if (signals.forecastNodes && load.active < signals.forecastNodes) return ScaleReason.FORECAST;
  return null;
}

// ---- drain ---------------------------------------------------------------------------------------

export type DrainAction = "wait" | "stop-empty" | "stop-timeout";

/**
 * When a draining node may be stopped. `rooms` is the node's last reported room count. A node with a
 * room is only ever signalled (SIGTERM, never SIGKILL) after the drain maximum, and SIGTERM lets its
 * running matches go on up to the node's own DRAIN_TIMEOUT_S.
 */
export function drainAction(rooms: number | null, drainStartedAt: number, now: number, maxDrainMs: number): DrainAction {
  if (rooms === 0) return "stop-empty";
  if (now - drainStartedAt >= maxDrainMs) return "stop-timeout";
  return "wait";
}

// ---- crash loops ---------------------------------------------------------------------------------

/** Earliest time the next node of a region may start after `crashes` consecutive crashes. */
export function nextStartAt(crashes: number, lastCrashAt: number | null, baseMs: number, maxMs: number): number {
  if (crashes <= 0 || lastCrashAt === null) return 0;
  return lastCrashAt + Math.min(maxMs, baseMs * 2 ** (crashes - 1));
}

// ---- schedule ------------------------------------------------------------------------------------

export interface ScheduleEntry {
  readonly cron: string;
  readonly region: string;
  readonly minNodes: number;
  /** Start warming this long before the peak. */
  readonly leadS: number;
  readonly durationS: number;
}

export interface CompiledSchedule {
  readonly entries: ReadonlyArray<ScheduleEntry & { readonly expr: CronExpr }>;
}

export function compileSchedule(entries: readonly ScheduleEntry[]): CompiledSchedule {
  return { entries: entries.map((e) => ({ ...e, expr: parseCron(e.cron) })) };
}

/** Nodes the schedule asks for in `region` at `now`: a peak that starts within `leadS` or is running. */
export function scheduledNodes(schedule: CompiledSchedule, region: string, now: number): number {
  let nodes = 0;
  for (const e of schedule.entries) {
    if (e.region !== region || e.minNodes <= nodes) continue;
    if (cronFiresWithin(e.expr, now - e.durationS * 1000, now + e.leadS * 1000)) nodes = e.minNodes;
  }
  return nodes;
}
