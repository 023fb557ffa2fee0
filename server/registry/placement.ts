/**
 * Where a new room goes: pure rules over registry entries, apart from the registry that feeds them.
 */
export const NodeState = { STARTING: "starting", READY: "ready", DRAINING: "draining", STOPPED: "stopped" } as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

export interface NodeEntry {
  /** Colyseus processId. */
  readonly nodeId: string;
  readonly region: string;
  readonly publicAddress: string | null;
  readonly state: NodeState;
  /** Most rooms this node takes. */
  readonly capacity: number;
  readonly rooms: number;
  readonly ccu: number;
  /** Epoch ms of the last heartbeat. */
  readonly heartbeatAt: number;
  /** NODE_NAME the pool manager gave this node (null or absent for a hand-started node). */
  readonly name?: string | null;
}

/** A node whose heartbeat is older than this is dead. */
export function isAlive(entry: NodeEntry, now: number, ttlMs: number): boolean {
  return now - entry.heartbeatAt <= ttlMs;
}

/**
 * The node for a new room in `region`: alive, ready (never draining), not full; the busiest such node
 * first, so rooms pack onto few nodes and idle ones can drain. Ties go to the lowest id (stable).
 * Null when nothing fits: the caller re-queues, it never falls back to "here".
 */
export function pickNode(entries: readonly NodeEntry[], region: string, now: number, ttlMs: number): NodeEntry | null {
  let best: NodeEntry | null = null;
  for (const e of entries) {
    if (e.region !== region || e.state !== NodeState.READY || e.rooms >= e.capacity || !isAlive(e, now, ttlMs)) continue;
    if (!best || e.rooms > best.rooms || (e.rooms === best.rooms && e.nodeId < best.nodeId)) best = e;
  }
  return best;
}
