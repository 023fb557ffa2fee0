/**
 * Demand-trace replay on a virtual clock with the real scaling policy (server/pool/policy.ts):
 * allocations arrive per the trace, each holds a room for a match length, nodes take `coldStartMs`
 * (measured by the bench) to become ready after a scale-up. An allocation is warm when a ready node
 * has a free room at that instant; otherwise it waits for the next node (cold).
 */
import { PoolPhase, decide, drainAction, emptyMemory, type PolicyConfig, type RegionMemory } from "../../server/pool/policy.ts";

export interface TraceOptions {
  readonly coldStartMs: number;
  readonly baseRatePerS: number;
  readonly spikeFactor: number;
  /** The spike ramps from base to base*factor within this. */
  readonly rampMs: number;
  readonly holdMs: number;
  readonly totalMs: number;
  readonly matchMs: number;
  readonly capacity: number;
  readonly tickMs: number;
  readonly min: number;
  readonly max: number;
  readonly policy: PolicyConfig;
  readonly seed: number;
}

export interface TraceResult {
  allocations: number;
  warm: number;
  cold: number;
  warmShare: number;
  /** Average share of ready capacity that sat idle. */
  idleWarmShare: number;
  avgIdleRooms: number;
  /** Same, only while the spike lasts (ramp + hold). */
  idleWarmShareDuringSpike: number;
  peakNodes: number;
  scaleUps: number;
  scaleDowns: number;
}

interface SimNode { id: string; phase: PoolPhase; rooms: number; capacity: number; readyAt: number; ends: number[]; drainAt: number | null }

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export function rateAt(t: number, o: TraceOptions): number {
  const spikeAt = o.totalMs / 3;
  if (t < spikeAt) return o.baseRatePerS;
  const peak = o.baseRatePerS * o.spikeFactor;
  if (t < spikeAt + o.rampMs) return o.baseRatePerS + ((peak - o.baseRatePerS) * (t - spikeAt)) / o.rampMs;
  if (t < spikeAt + o.rampMs + o.holdMs) return peak;
  return o.baseRatePerS;
}

export function replay(o: TraceOptions): TraceResult {
  const random = rng(o.seed);
  const nodes: SimNode[] = [];
  let seq = 0;
  let memory: RegionMemory = emptyMemory;
  let warm = 0, cold = 0, scaleUps = 0, scaleDowns = 0, peakNodes = 0;
  let idleSamples = 0, idleShareSum = 0, idleRoomsSum = 0, spikeSamples = 0, spikeShareSum = 0;
  const spikeFrom = o.totalMs / 3, spikeTo = spikeFrom + o.rampMs + o.holdMs;
  const pending: number[] = []; // arrival times of cold allocations waiting for a room
  const stepMs = 100;
  let nextTick = 0;
  let credit = 0;
  const add = () => {
    const n: SimNode = { id: `n${++seq}`, phase: PoolPhase.STARTING, rooms: 0, capacity: o.capacity, readyAt: 0, ends: [], drainAt: null };
    return n;
  };
  // the pool starts at its floor, warm
  for (let i = 0; i < o.min; i++) nodes.push({ ...add(), phase: PoolPhase.READY });

  for (let t = 0; t < o.totalMs; t += stepMs) {
    for (const n of nodes) {
      n.ends = n.ends.filter((e) => e > t);
      n.rooms = n.ends.length;
      if (n.phase === PoolPhase.STARTING && t >= n.readyAt) n.phase = PoolPhase.READY;
    }
    const place = (): boolean => {
      let best: SimNode | null = null;
      for (const n of nodes) if (n.phase === PoolPhase.READY && n.rooms < n.capacity && (!best || n.rooms > best.rooms)) best = n;
      if (!best) return false;
      best.ends.push(t + o.matchMs * (0.5 + random()));
      best.rooms++;
      return true;
    };
    while (pending.length && place()) pending.shift();
    credit += (rateAt(t, o) * stepMs) / 1000;
    while (credit >= 1) {
      credit -= 1;
      if (place()) warm++;
      else {
        cold++;
        pending.push(t);
      }
    }
    if (t >= nextTick) {
      nextTick = t + o.tickMs;
      for (const n of nodes) {
        if (n.phase === PoolPhase.DRAINING && drainAction(n.rooms, n.drainAt ?? t, t, Infinity) !== "wait") n.phase = PoolPhase.STOPPING;
      }
      for (let i = nodes.length - 1; i >= 0; i--) if (nodes[i].phase === PoolPhase.STOPPING) nodes.splice(i, 1);
      const r = decide(nodes, { min: o.min, max: o.max }, o.policy, { queueWaitS: pending.length ? (t - pending[0]) / 1000 : null }, memory, t);
      memory = r.memory;
      if (r.decision.action === "up") {
        const n = add();
        n.readyAt = t + o.coldStartMs;
        nodes.push(n);
        scaleUps++;
      } else if (r.decision.action === "down") {
        const id = r.decision.nodeId;
        const v = nodes.find((n) => n.id === id);
        if (v) {
          v.phase = PoolPhase.DRAINING;
          v.drainAt = t;
          scaleDowns++;
        }
      }
      peakNodes = Math.max(peakNodes, nodes.length);
      const ready = nodes.filter((n) => n.phase === PoolPhase.READY);
      const cap = ready.reduce((a, n) => a + n.capacity, 0);
      const free = ready.reduce((a, n) => a + (n.capacity - n.rooms), 0);
      if (cap > 0) {
        idleSamples++;
        idleShareSum += free / cap;
        idleRoomsSum += free;
        if (t >= spikeFrom && t < spikeTo) {
          spikeSamples++;
          spikeShareSum += free / cap;
        }
      }
    }
  }
  const allocations = warm + cold;
  return {
    allocations, warm, cold,
    warmShare: allocations ? warm / allocations : 1,
    idleWarmShare: idleSamples ? idleShareSum / idleSamples : 0,
    avgIdleRooms: idleSamples ? idleRoomsSum / idleSamples : 0,
    idleWarmShareDuringSpike: spikeSamples ? spikeShareSum / spikeSamples : 0,
    peakNodes, scaleUps, scaleDowns,
  };
}
