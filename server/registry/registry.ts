/**
 * The node registry: every node's region, address, state, load and heartbeat in one presence hash
 * (`rally:nodes`, field = nodeId). Over Colyseus' Presence, so the same code runs on LocalPresence
 * (one process) and RedisPresence (a cluster). Entries whose heartbeat is older than the TTL are dead:
 * skipped by placement at once, listed by `dead(now)`, and removed (with everything the node left in
 * Redis) by the dead-node reaper (./reaper.ts) once it has cleaned up after them. Reading never deletes.
 */
import type { Presence } from "@colyseus/core";
import { NodeState, isAlive, type NodeEntry } from "./placement.ts";

const KEY = "rally:nodes";

export interface NodeRegistry {
  /** Writes this node's entry now (state change or heartbeat); true when the entry was not there (first beat, or it was reaped / lost). */
  publish(entry: NodeEntry): Promise<boolean>;
  /** Every entry, dead ones included, for operators. */
  list(): Promise<NodeEntry[]>;
  /** Live entries (heartbeat within the TTL, not stopped). Never deletes anything. */
  live(now: number): Promise<NodeEntry[]>;
  /** Entries whose heartbeat is older than the TTL: nodes that died without removing themselves. */
  dead(now: number): Promise<NodeEntry[]>;
  remove(nodeId: string): Promise<void>;
  readonly ttlMs: number;
}

/** `ttlMs` is NODE_TTL_MS (server/config.ts). */
export function createNodeRegistry(presence: Presence, ttlMs: number): NodeRegistry {
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
      // RedisPresence answers whether the field was added; LocalPresence always says true, so ask
      // first too (in one process nothing else removes the entry between the two calls).
      const existed = (await presence.hget(KEY, entry.nodeId)) !== null;
      return Boolean(await presence.hset(KEY, entry.nodeId, JSON.stringify(entry))) && !existed;
    },
    list,
    async live(now) {
      return (await list()).filter((e) => isAlive(e, now, ttlMs) && e.state !== NodeState.STOPPED);
    },
    async dead(now) {
      return (await list()).filter((e) => !isAlive(e, now, ttlMs));
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
    /** Called when a heartbeat (not the first) found this node's entry gone: the reaper took it for dead, or Redis lost it. */
    private readonly onMissing: () => void = () => undefined,
  ) {}
  private beats = 0;

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
    const added = await this.registry.publish({ ...this.describe(), state: this.state, heartbeatAt: this.now() });
    if (added && this.beats++ > 0) this.onMissing();
    else if (!added) this.beats++;
  }
}
