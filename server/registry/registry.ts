/**
 * The node registry: every node's region, address, state, load and heartbeat in one presence hash
 * (`rally:nodes`, field = nodeId). Over Colyseus' Presence, so the same code runs on LocalPresence
 * (one process) and RedisPresence (a cluster). Entries whose heartbeat is older than the TTL are dead:
 * skipped by placement and removed by whichever node notices.
 */
import type { Presence } from "@colyseus/core";
import { NodeState, isAlive, type NodeEntry } from "./placement.ts";

const KEY = "rally:nodes";

export interface NodeRegistry {
  /** Writes this node's entry now (state change or heartbeat). */
  publish(entry: NodeEntry): Promise<void>;
  /** Every entry, dead ones included, for operators. */
  list(): Promise<NodeEntry[]>;
  /** Live entries; dead ones are removed as a side effect. */
  live(now: number): Promise<NodeEntry[]>;
  remove(nodeId: string): Promise<void>;
  readonly ttlMs: number;
}

export function createNodeRegistry(presence: Presence, ttlMs = 6000): NodeRegistry {
  async function list(): Promise<NodeEntry[]> {
    const raw = await presence.hgetall(KEY);
    const entries: NodeEntry[] = [];
    for (const value of Object.values(raw ?? {})) {
      try {
        entries.push(JSON.parse(value) as NodeEntry);
      } catch {
        // A malformed entry is not a node; it is dropped on the next cleanup.
      }
    }
    return entries;
  }
  return {
    ttlMs,
    async publish(entry) {
      await presence.hset(KEY, entry.nodeId, JSON.stringify(entry));
    },
    list,
    async live(now) {
      const entries = await list();
      const alive: NodeEntry[] = [];
      for (const e of entries) {
        if (isAlive(e, now, ttlMs) && e.state !== NodeState.STOPPED) alive.push(e);
        else await presence.hdel(KEY, e.nodeId);
      }
      return alive;
    },
    async remove(nodeId) {
      await presence.hdel(KEY, nodeId);
    },
  };
}

/** Keeps one node's entry fresh. `start` begins the heartbeat; nothing runs before it. */
export class NodeHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  private state: NodeState = NodeState.STARTING;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly describe: () => Omit<NodeEntry, "state" | "heartbeatAt">,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = Math.max(500, Math.floor(registry.ttlMs / 3)),
  ) {}

  async setState(state: NodeState): Promise<void> {
    this.state = state;
    await this.beat();
  }

  get current(): NodeState {
    return this.state;
  }

  start(onError: (err: unknown) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.beat().catch(onError), this.intervalMs);
    this.timer.unref();
  }

  /** Stops beating; `remove` also deletes the entry (only possible while presence is still open). */
  async stop(remove = false): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.state = NodeState.STOPPED;
    if (remove) await this.registry.remove(this.describe().nodeId);
  }

  private async beat(): Promise<void> {
    await this.registry.publish({ ...this.describe(), state: this.state, heartbeatAt: this.now() });
  }
}
