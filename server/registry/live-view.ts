/**
 * One node's view of the live nodes, read from the registry at most once per `maxAgeMs` and shared by
 * everyone on the node who asks: the matchmaker (which regions exist, on every pass of every mode and
 * shard; whether a queued record's node is alive, per record in an orphan sweep), placement and the
 * dead-node reaper. Without it each question was one listing of every node in the cluster.
 *
 * Time is passed in (`now`), as in Agones' allocator cache, so tests drive it. A node's death shows up
 * here up to `maxAgeMs` late. A caller that must not act on a stale list (placement: a node that just
 * started draining must leave placement at once) asks with `maxAgeMs` 0, which reads the registry and
 * refreshes the shared view for the others. Liveness is judged when the registry is read, never later
 * against a cached heartbeat (that would call a node dead that beat again since).
 */
import { NodeState, isAlive, type NodeEntry } from "./placement.ts";
import type { NodeRegistry } from "./registry.ts";

export class LiveNodeView {
  private cache: { at: number; entries: Promise<NodeEntry[]> } | undefined;

  constructor(private readonly registry: NodeRegistry, private readonly maxAgeMs = 1000) {}

  get ttlMs(): number {
    return this.registry.ttlMs;
  }

  /** Every entry as the registry had it at most `maxAgeMs` before `now`, with the time of that read (one read serves every caller meanwhile). */
  private read(now: number, maxAgeMs: number): { at: number; entries: Promise<NodeEntry[]> } {
    if (!this.cache || now - this.cache.at >= maxAgeMs || now < this.cache.at) {
      const entries = this.registry.list();
      this.cache = { at: now, entries };
      // A failed read is not kept: the next caller tries again.
      entries.catch(() => { if (this.cache?.entries === entries) this.cache = undefined; });
    }
    return this.cache;
  }

  /** Live nodes: heartbeat within the TTL at the time of the read, not stopped. */
  async live(now: number, maxAgeMs = this.maxAgeMs): Promise<NodeEntry[]> {
    const { at, entries } = this.read(now, maxAgeMs);
    return (await entries).filter((e) => isAlive(e, at, this.registry.ttlMs) && e.state !== NodeState.STOPPED);
  }

  /** The regions that have a live node. */
  async regions(now: number): Promise<string[]> {
    return [...new Set((await this.live(now)).map((e) => e.region))];
  }

  /** Whether `nodeId` is a live node. */
  async alive(nodeId: string, now: number): Promise<boolean> {
    return (await this.live(now)).some((e) => e.nodeId === nodeId);
  }

  /**
   * Nodes whose heartbeat is older than the TTL at `now`, always from a fresh read (the reaper acts on
   * it), which also refreshes the shared view.
   */
  async dead(now: number): Promise<NodeEntry[]> {
    return (await this.read(now, 0).entries).filter((e) => !isAlive(e, now, this.registry.ttlMs));
  }

  /** Removes a (reaped) node's entry, and from the view at once. */
  async remove(nodeId: string): Promise<void> {
    await this.registry.remove(nodeId);
    const cached = this.cache;
    if (cached) this.cache = { at: cached.at, entries: cached.entries.then((es) => es.filter((e) => e.nodeId !== nodeId)) };
  }
}
