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
  /** Measured since the previous heartbeat (absent from nodes that do not report it). */
  readonly load?: NodeLoad;
}

/** What a node measured of itself over its last heartbeat interval. */
export interface NodeLoad {
  /** Process CPU (user + system, all threads), as a fraction of one core (0..1+). */
  readonly cpu: number;
  /** Event-loop delay, 99th percentile, in milliseconds. */
  readonly lagMs: number;
}

/**
 * The placement rule's knobs. Below `packBelow` a node counts as cool: rooms pack onto the busiest cool
 * node, so idle nodes empty out and the pool can drain them. Once every candidate is at or above it,
 * the least loaded node wins instead, so a saturated node stops taking rooms while others idle.
 */
export interface PlacementRule {
  /** Load score (0..1, see `loadScore`) under which a node is packed. */
  readonly packBelow: number;
  /** Event-loop delay (p99 ms) that counts as a fully loaded node. */
  readonly lagFullMs: number;
  /** Process CPU (fraction of a core) that counts as a fully loaded node. */
  readonly cpuFull: number;
}

export const defaultPlacementRule: PlacementRule = Object.freeze({ packBelow: 0.5, lagFullMs: 100, cpuFull: 0.85 });

/**
 * How loaded a node is, 0 (idle) .. 1 (full) or above: the worse of its CPU and its event-loop delay,
 * each against the rule's "full" mark. Room slots are not part of it (capacity is a hard cap of its
 * own, and packing wants nodes filled). `pending` rooms were placed on the node since its last
 * heartbeat: they scale the CPU reading by rooms, so a burst of creates between two heartbeats does
 * not all land on the node that looked cool. A node that reports no load scores 0 (always packed).
 */
export function loadScore(e: NodeEntry, rule: PlacementRule, pending = 0): number {
  if (!e.load) return 0;
  const cpu = e.load.cpu * (e.rooms > 0 ? (e.rooms + pending) / e.rooms : 1);
  return Math.max(cpu / rule.cpuFull, e.load.lagMs / rule.lagFullMs);
}

/** A node whose heartbeat is older than this is dead. */
export function isAlive(entry: NodeEntry, now: number, ttlMs: number): boolean {
  return now - entry.heartbeatAt <= ttlMs;
}

/**
 * The node for a new room in `region`: alive, ready (never draining), not full. Among cool nodes (load
 * score under `rule.packBelow`) the busiest by rooms wins, so rooms pack onto few nodes and idle ones
 * can drain; when no node is cool, the least loaded one wins, so load spreads once a node is hot.
 * Ties go to the lowest id (stable). `pending(entry)` counts rooms this caller placed on a node since
 * that node's last heartbeat. Null when nothing fits: the caller re-queues, it never falls back to "here".
 */
export function pickNode(
  entries: readonly NodeEntry[], region: string, now: number, ttlMs: number,
  rule: PlacementRule = defaultPlacementRule, pending: (entry: NodeEntry) => number = () => 0,
): NodeEntry | null {
  let packed: NodeEntry | null = null, packedRooms = 0;
  let spread: NodeEntry | null = null, spreadScore = Infinity;
  for (const e of entries) {
    const extra = pending(e);
    if (e.region !== region || e.state !== NodeState.READY || e.rooms + extra >= e.capacity || !isAlive(e, now, ttlMs)) continue;
    const score = loadScore(e, rule, extra);
    const rooms = e.rooms + extra;
    if (score < rule.packBelow) {
      if (!packed || rooms > packedRooms || (rooms === packedRooms && e.nodeId < packed.nodeId)) { packed = e; packedRooms = rooms; }
    } else if (!spread || score < spreadScore || (score === spreadScore && e.nodeId < spread.nodeId)) {
      spread = e; spreadScore = score;
    }
  }
  return packed ?? spread;
}

/**
 * Rooms this node placed on others since their last heartbeat, so a burst of creates between two
 * heartbeats sees its own placements. Counts reset when a node's heartbeat moves on.
 */
export class PendingPlacements {
  private readonly byNode = new Map<string, { heartbeatAt: number; n: number }>();

  count(entry: NodeEntry): number {
    const p = this.byNode.get(entry.nodeId);
    return p && p.heartbeatAt === entry.heartbeatAt ? p.n : 0;
  }

  placed(entry: NodeEntry): void {
    const p = this.byNode.get(entry.nodeId);
    if (p && p.heartbeatAt === entry.heartbeatAt) p.n++;
    else this.byNode.set(entry.nodeId, { heartbeatAt: entry.heartbeatAt, n: 1 });
    if (this.byNode.size > 1024) this.byNode.delete(this.byNode.keys().next().value!);
  }
}
