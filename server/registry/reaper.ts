/**
 * The dead-node reaper: every node runs one; whoever holds the `reaper` lease (fenced Redis lease,
 * `rally:mm:lease:reaper`) cleans up after nodes whose registry heartbeat is older than the TTL. For
 * a batch of dead nodes it runs the release steps (the matchmaker frees the players and tickets of
 * matches they hosted; presence drops their entries), then removes their Colyseus room listings, their
 * `roomcount` field and, last, their registry entry. A step that fails leaves the entry in place, so
 * the next tick retries the whole batch; every step is idempotent.
 *
 * Placement skips a dead node as soon as its heartbeat is late (`pickNode` checks liveness), so no
 * create is routed to it meanwhile. A node never reaps itself. Timers start in `start()`, and time is
 * injected (`now`), so `tick(now)` can be driven by tests.
 */
import type { MatchMakerDriver, Presence } from "@colyseus/core";
import type { NodeRegistry } from "./registry.ts";

/** The lease this needs (matchmaker/lease.ts's RedisLease or LocalLease fit it). */
export interface ReaperLease {
  tryAcquire(name: string, holder: string, ttlMs: number): Promise<ReaperGrant | null>;
  renew(grant: ReaperGrant, ttlMs: number): Promise<ReaperGrant | null>;
  release(grant: ReaperGrant): Promise<void>;
}
export interface ReaperGrant {
  readonly name: string;
  readonly holder: string;
  readonly token: number;
  readonly expiresAt: number;
}

export interface ReaperLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** One release step over a batch of dead node ids (idempotent). */
export interface ReleaseStep {
  readonly name: string;
  run(nodeIds: readonly string[]): Promise<unknown>;
}

export interface DeadNodeReaperOptions {
  /** The dead entries and their removal: the node's LiveNodeView (or the registry itself). */
  readonly registry: Pick<NodeRegistry, "dead" | "remove" | "ttlMs">;
  readonly lease: ReaperLease;
  /** This node's id (Colyseus processId); read at each tick (known once the server is set up). */
  readonly self: () => string;
  readonly steps: readonly ReleaseStep[];
  /** Removes the node's room listings and room count (Colyseus' driver and presence). */
  readonly cleanup: (nodeId: string) => Promise<void>;
  readonly logger: ReaperLogger;
  readonly now?: () => number;
  /** How often every node looks at the registry; default a third of the registry TTL. */
  readonly intervalMs?: number;
  /** Called once per reaped node, with the ms since its last heartbeat. */
  readonly onReaped?: (nodeId: string, sinceHeartbeatMs: number) => void;
}

export const REAPER_LEASE = "reaper";

export class DeadNodeReaper {
  private timer: NodeJS.Timeout | null = null;
  private grant: ReaperGrant | null = null;
  private running = false;
  private readonly now: () => number;
  readonly intervalMs: number;

  constructor(private readonly o: DeadNodeReaperOptions) {
    this.now = o.now ?? Date.now;
    this.intervalMs = o.intervalMs ?? Math.max(250, Math.floor(o.registry.ttlMs / 3));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(this.now()).catch((err) => this.o.logger.warn({ err }, "dead-node reaper failed")), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const grant = this.grant;
    this.grant = null;
    if (grant) await this.o.lease.release(grant).catch(() => undefined);
  }

  /** One look at the registry at `now`; returns the node ids reaped by this call. */
  async tick(now: number): Promise<string[]> {
    if (this.running) return [];
    this.running = true;
    try {
      const self = this.o.self();
      const dead = (await this.o.registry.dead(now)).filter((e) => e.nodeId !== self);
      if (!dead.length) return [];
      if (!(await this.hold(self))) return [];
      const ids = dead.map((e) => e.nodeId);
      for (const step of this.o.steps) {
        try {
          await step.run(ids);
        } catch (err) {
          this.o.logger.warn({ err, step: step.name, nodes: ids }, "dead-node release step failed; retried next tick");
          return [];
        }
      }
      const reaped: string[] = [];
      for (const e of dead) {
        try {
          await this.o.cleanup(e.nodeId);
          // the entry goes last: until then the node still lists as dead and the job is retried
          await this.o.registry.remove(e.nodeId);
          reaped.push(e.nodeId);
          this.o.onReaped?.(e.nodeId, now - e.heartbeatAt);
          this.o.logger.info({ nodeId: e.nodeId, name: e.name ?? null, region: e.region, sinceHeartbeatMs: now - e.heartbeatAt }, "dead node reaped");
        } catch (err) {
          this.o.logger.warn({ err, nodeId: e.nodeId }, "dead node cleanup failed; retried next tick");
        }
      }
      return reaped;
    } finally {
      this.running = false;
    }
  }

  private async hold(self: string): Promise<boolean> {
    const ttl = Math.max(1000, this.intervalMs * 3);
    const held = this.grant;
    this.grant = held ? await this.o.lease.renew(held, ttl) : null;
    this.grant ??= await this.o.lease.tryAcquire(REAPER_LEASE, self || "local", ttl);
    return this.grant !== null;
  }
}

const ROOMCOUNT_KEY = "roomcount";

/** A dead node's Colyseus traces: its room listings (driver) and its `roomcount` field. */
export async function cleanupNodeRooms(presence: Presence, driver: MatchMakerDriver | null, nodeId: string): Promise<void> {
  if (driver?.cleanup) await driver.cleanup(nodeId);
  await presence.hdel(ROOMCOUNT_KEY, nodeId);
}
