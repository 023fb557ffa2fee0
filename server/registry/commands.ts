/**
 * Cluster-wide commands over presence, next to the registry: drain requests to one node (pub/sub),
 * per-region pool limits set by operators (a hash the pool manager reads each step), the matchmaker's
 * queue-wait signal, and the cleanup of a dead node's traces (registry entry, Colyseus `roomcount`
 * field and room listings).
 */
import type { MatchMakerDriver, Presence } from "@colyseus/core";
import { CAPACITY_WAIT_KEY, OLDEST_WAIT_KEY } from "../../protocol/index.ts";

const DRAIN_CHANNEL = "rally:nodes:drain";
const LIMITS_KEY = "rally:pool:limits";
/** Hash region -> oldest ticket wait in seconds. The matchmaker writes it when it runs; absent = no signal (protocol/cluster-keys.ts). */
export const QUEUE_WAIT_KEY = OLDEST_WAIT_KEY;
const NODES_KEY = "rally:nodes";
const ROOMCOUNT_KEY = "roomcount";

export interface NodeCommands {
  /** Ask one node to drain: it leaves placement, /readyz turns 503, its rooms lock; running matches go on. */
  drain(nodeId: string): Promise<void>;
  /** Called on the node: `handler` runs when a drain for `nodeId` arrives. */
  onDrain(nodeId: string, handler: () => void): Promise<() => void>;
}

export function createNodeCommands(presence: Presence): NodeCommands {
  return {
    async drain(nodeId) {
      await presence.publish(DRAIN_CHANNEL, nodeId);
    },
    async onDrain(nodeId, handler) {
      const cb = (target: unknown) => {
        if (target === nodeId) handler();
      };
      await presence.subscribe(DRAIN_CHANNEL, cb);
      return () => { presence.unsubscribe(DRAIN_CHANNEL, cb); };
    },
  };
}

export interface LimitOverride {
  readonly min: number;
  readonly max: number;
}

export interface PoolLimitsStore {
  set(region: string, limits: LimitOverride): Promise<void>;
  all(): Promise<Record<string, LimitOverride>>;
}

export function createPoolLimitsStore(presence: Presence): PoolLimitsStore {
  return {
    async set(region, limits) {
      await presence.hset(LIMITS_KEY, region, JSON.stringify({ min: limits.min, max: limits.max }));
    },
    async all() {
      const raw = (await presence.hgetall(LIMITS_KEY)) ?? {};
      const out: Record<string, LimitOverride> = {};
      for (const [region, v] of Object.entries(raw)) {
        try {
          const o = JSON.parse(v) as LimitOverride;
          if (Number.isInteger(o.min) && Number.isInteger(o.max) && o.min >= 0 && o.max >= o.min) out[region] = o;
        } catch {
          // ignore a malformed override
        }
      }
      return out;
    },
  };
}

/**
 * Hash region -> oldest wait in seconds of the tickets waiting for capacity: their match was formed but
 * found no node to run on (`no-node`, `create-failed`). A queue that merely lacks players is not in it.
 */
export { CAPACITY_WAIT_KEY };

/** Oldest queue wait per region (seconds), as published by the matchmaker; {} when it publishes nothing. */
export async function readQueueWaits(presence: Presence, key = QUEUE_WAIT_KEY): Promise<Record<string, number>> {
  const raw = (await presence.hgetall(key)) ?? {};
  const out: Record<string, number> = {};
  for (const [region, v] of Object.entries(raw)) if (Number.isFinite(Number(v))) out[region] = Number(v);
  return out;
}

/** Oldest wait per region (seconds) of tickets waiting for capacity (the pool manager's queue-time trigger). */
export function readCapacityWaits(presence: Presence): Promise<Record<string, number>> {
  return readQueueWaits(presence, CAPACITY_WAIT_KEY);
}

/**
 * The pool manager's cleanup of a node it saw exit: Colyseus' `roomcount` field and its room listings
 * go now; the registry entry becomes a tombstone (state `stopped`, heartbeat 0) instead of being
 * deleted, so the nodes' dead-node reaper (./reaper.ts) still finds it and releases what only the
 * cluster's nodes can (the players and tickets of its matches, its presence entries), then removes it.
 */
export async function cleanupDeadNode(presence: Presence, driver: MatchMakerDriver | null, nodeId: string): Promise<void> {
  const raw = await presence.hget(NODES_KEY, nodeId);
  if (raw) {
    try {
      await presence.hset(NODES_KEY, nodeId, JSON.stringify({ ...JSON.parse(raw), state: "stopped", heartbeatAt: 0 }));
    } catch {
      await presence.hdel(NODES_KEY, nodeId); // a malformed entry is not a node
    }
  }
  await presence.hdel(ROOMCOUNT_KEY, nodeId);
  if (driver?.cleanup) await driver.cleanup(nodeId);
}
