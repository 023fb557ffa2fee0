/**
 * The pool manager loop: each step reads the provider (which nodes run) and the registry (their state
 * and load), applies the pure policy per region and carries out at most one scale action per region.
 *
 * Node lifecycle as the manager sees it (string phases, one guarded step each):
 *   starting --registry says ready--> ready --policy or operator drain--> draining
 *   draining --no room left (or drain max: SIGTERM, the node drains itself)--> stopping --exit--> gone
 * Faults: a node that exits unasked (SIGKILL, crash) or stops heartbeating is a crash: its traces are
 * cleaned, the policy restarts the region up to its floor, and consecutive crashes back off
 * exponentially. A restarted manager adopts what the provider still lists instead of starting more.
 * The manager never SIGKILLs a node that is alive in the registry, and only signals a node with rooms
 * after the drain maximum, with SIGTERM, which lets its matches run on (rooms/match-room.ts).
 */
import { isAlive, NodeState, type NodeEntry, type NodeRegistry, type LimitOverride } from "../registry/index.ts";
import { SeasonalForecast, type ForecastConfig } from "./forecast.ts";
import type { PoolMetrics } from "./metrics.ts";
import { PoolPhase, compileSchedule, decide, drainAction, emptyMemory, nextStartAt, scheduledNodes, type CompiledSchedule, type NodeView, type PolicyConfig, type RegionLimits, type RegionMemory, type ScheduleEntry } from "./policy.ts";
import { ProviderStatus, type NodeProvider } from "./provider.ts";

export interface ManagerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ManagerOptions {
  readonly provider: NodeProvider;
  readonly registry: NodeRegistry;
  /** Sends a drain request to a node (presence pub/sub). */
  readonly drain: (nodeId: string) => Promise<void>;
  /** Removes a dead node's registry entry and Colyseus listings. */
  readonly cleanup: (nodeId: string) => Promise<void>;
  /** Operator overrides of min/max per region (admin API). */
  readonly limitOverrides?: () => Promise<Record<string, LimitOverride>>;
  /** Oldest queue wait per region in seconds (matchmaker), when published. */
  readonly queueWaits?: () => Promise<Record<string, number>>;
  /** Oldest wait per region (seconds) of tickets whose match found no node to run on (matchmaker), when published. */
  readonly capacityWaits?: () => Promise<Record<string, number>>;
  readonly regions: readonly string[];
  readonly limits: RegionLimits;
  readonly policy: PolicyConfig;
  /** Capacity assumed for a node that has not reported yet. */
  readonly nodeCapacity: number;
  readonly schedule?: readonly ScheduleEntry[];
  readonly forecast?: { readonly mode: "off" | "shadow" | "on"; readonly config?: ForecastConfig };
  readonly tickMs: number;
  readonly drainMaxMs: number;
  /** A node not ready this long after start is killed and counted as a crash. */
  readonly startTimeoutMs?: number;
  readonly crashBackoffMs: number;
  readonly crashBackoffMaxMs: number;
  readonly metrics?: PoolMetrics;
  readonly logger: ManagerLogger;
  readonly now?: () => number;
}

export interface TrackedNode {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly publicAddress: string;
  readonly startedAt: number;
  phase: PoolPhase;
  nodeId: string | null;
  rooms: number | null;
  capacity: number;
  readyAt: number | null;
  drainStartedAt: number | null;
  lastSeenAt: number | null;
  /** Set once the manager itself signalled the node: its exit is not a crash. */
  stopRequested: boolean;
  adopted: boolean;
}

interface RegionState {
  memory: RegionMemory;
  crashes: number;
  lastCrashAt: number | null;
  forecast: SeasonalForecast;
  backoffLogged: boolean;
}

export class PoolManager {
  private readonly nodes = new Map<string, TrackedNode>();
  private readonly regions = new Map<string, RegionState>();
  private readonly schedule: CompiledSchedule;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: ManagerOptions) {
    this.now = o.now ?? Date.now;
    this.schedule = compileSchedule(o.schedule ?? []);
    for (const r of o.regions) this.regionState(r);
  }

  /** Runs a step now and then every `tickMs`. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.o.tickMs);
  }

  /** One step; overlapping calls share the running one. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.step().catch((err) => this.o.logger.error({ err }, "pool step failed")).finally(() => { this.ticking = null; });
    return this.ticking;
  }

  /** Nodes as the manager sees them (admin, tests). */
  list(): TrackedNode[] {
    return [...this.nodes.values()].map((n) => ({ ...n }));
  }

  /**
   * Stops the loop. `stopNodes`: drain every node with SIGTERM and wait for them to exit (up to
   * `waitMs`); otherwise the nodes keep running and a new manager adopts them.
   */
  async stop(options: { stopNodes: boolean; waitMs?: number } = { stopNodes: false }): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    if (options.stopNodes) {
      for (const n of this.nodes.values()) {
        n.stopRequested = true;
        await this.o.provider.stop(n.id).catch(() => undefined);
      }
      const until = Date.now() + (options.waitMs ?? 30_000);
      while (Date.now() < until) {
        const running = (await this.o.provider.list()).filter((p) => p.status === ProviderStatus.RUNNING && this.nodes.has(p.id));
        if (running.length === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const n of this.nodes.values()) if (n.nodeId) await this.o.cleanup(n.nodeId).catch(() => undefined);
    }
    await this.o.provider.close();
  }

  private regionState(region: string): RegionState {
    let s = this.regions.get(region);
    if (!s) {
      s = { memory: emptyMemory, crashes: 0, lastCrashAt: null, forecast: new SeasonalForecast(this.o.forecast?.config), backoffLogged: false };
      this.regions.set(region, s);
    }
    return s;
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    const [provided, entries, overrides, waits, capacityWaits] = await Promise.all([
      this.o.provider.list(),
      this.o.registry.list(),
      this.o.limitOverrides?.().catch(() => ({})) ?? Promise.resolve({}),
      this.o.queueWaits?.().catch(() => ({})) ?? Promise.resolve({}),
      this.o.capacityWaits?.().catch(() => ({})) ?? Promise.resolve({}),
    ]);
    const byName = new Map<string, NodeEntry>();
    for (const e of entries) {
      if (!e.name) continue;
      const prev = byName.get(e.name);
      if (!prev || e.heartbeatAt > prev.heartbeatAt) byName.set(e.name, e);
    }
    const ttl = this.o.registry.ttlMs;
    const seen = new Set<string>();

    for (const p of provided) {
      seen.add(p.id);
      let n = this.nodes.get(p.id);
      const entry = byName.get(p.name);
      if (!n) {
        if (p.status === ProviderStatus.EXITED) {
          await this.o.provider.forget(p.id);
          if (entry) await this.o.cleanup(entry.nodeId).catch(() => undefined);
          continue;
        }
        n = this.adopt(p, entry, now);
      }
      if (p.status === ProviderStatus.EXITED) {
        await this.gone(n, p.exitCode, now);
        continue;
      }
      const alive = entry !== undefined && isAlive(entry, now, ttl) && entry.state !== NodeState.STOPPED;
      if (entry) n.nodeId = entry.nodeId;
      if (alive) {
        n.lastSeenAt = entry.heartbeatAt;
        n.rooms = entry.rooms;
        n.capacity = entry.capacity;
      }
      await this.advance(n, alive ? entry : undefined, now);
    }
    for (const id of [...this.nodes.keys()]) if (!seen.has(id)) this.nodes.delete(id);

    const regions = new Set([...this.o.regions, ...[...this.nodes.values()].map((n) => n.region)]);
    for (const region of regions) await this.scaleRegion(region, (overrides as Record<string, LimitOverride>)[region], (waits as Record<string, number>)[region], now, (capacityWaits as Record<string, number>)[region]);
  }

  private adopt(p: { id: string; name: string; region: string; publicAddress: string; startedAt: number }, entry: NodeEntry | undefined, now: number): TrackedNode {
    const phase = entry?.state === NodeState.READY ? PoolPhase.READY : entry?.state === NodeState.DRAINING ? PoolPhase.DRAINING : PoolPhase.STARTING;
    const n: TrackedNode = {
      id: p.id, name: p.name, region: p.region, publicAddress: p.publicAddress, startedAt: p.startedAt,
      phase, nodeId: entry?.nodeId ?? null, rooms: entry?.rooms ?? null, capacity: entry?.capacity ?? this.o.nodeCapacity,
      readyAt: phase === PoolPhase.STARTING ? null : now, drainStartedAt: phase === PoolPhase.DRAINING ? now : null,
      lastSeenAt: entry ? now : null, stopRequested: false, adopted: true,
    };
    this.nodes.set(p.id, n);
    this.o.logger.info({ node: n.name, region: n.region, phase }, "adopted a running node");
    return n;
  }

  /** The process is gone: a crash unless we asked; clean its traces either way. */
  private async gone(n: TrackedNode, exitCode: number | null, now: number): Promise<void> {
    if (!n.stopRequested) {
      const rs = this.regionState(n.region);
      rs.crashes++;
      rs.lastCrashAt = now;
      rs.backoffLogged = false;
      this.o.metrics?.crash(n.region, n.phase === PoolPhase.STARTING ? "before_ready" : "after_ready");
      this.o.logger.warn({ node: n.name, region: n.region, phase: n.phase, exitCode, consecutiveCrashes: rs.crashes }, "node exited unexpectedly");
    } else {
      this.o.logger.info({ node: n.name, region: n.region, exitCode }, "node stopped");
    }
    if (n.nodeId) await this.o.cleanup(n.nodeId).catch((err) => this.o.logger.warn({ err, node: n.name }, "cleanup failed"));
    await this.o.provider.forget(n.id);
    this.nodes.delete(n.id);
  }

  private async kill(n: TrackedNode, phase: "before_ready" | "hung", now: number, why: string): Promise<void> {
    const rs = this.regionState(n.region);
    rs.crashes++;
    rs.lastCrashAt = now;
    rs.backoffLogged = false;
    this.o.metrics?.crash(n.region, phase);
    this.o.logger.warn({ node: n.name, region: n.region, consecutiveCrashes: rs.crashes }, why);
    n.stopRequested = true;
    n.phase = PoolPhase.STOPPING;
    if (n.nodeId) await this.o.cleanup(n.nodeId).catch(() => undefined);
    await this.o.provider.stop(n.id, { signal: "SIGKILL" });
  }

  private async advance(n: TrackedNode, entry: NodeEntry | undefined, now: number): Promise<void> {
    const deadAfter = this.o.registry.ttlMs;
    switch (n.phase) {
      case PoolPhase.STARTING: {
        if (entry?.state === NodeState.READY) {
          n.phase = PoolPhase.READY;
          n.readyAt = now;
          const rs = this.regionState(n.region);
          rs.crashes = 0;
          rs.lastCrashAt = null;
          this.o.metrics?.timeToReady(n.region, (now - n.startedAt) / 1000);
          this.o.logger.info({ node: n.name, region: n.region, nodeId: n.nodeId, ms: now - n.startedAt }, "node ready");
        } else if (entry?.state === NodeState.DRAINING) {
          n.phase = PoolPhase.DRAINING;
          n.drainStartedAt = now;
        } else if (now - n.startedAt > (this.o.startTimeoutMs ?? 60_000)) {
          await this.kill(n, "before_ready", now, "node did not become ready in time; killed");
        }
        return;
      }
      case PoolPhase.READY: {
        if (entry?.state === NodeState.DRAINING) {
          n.phase = PoolPhase.DRAINING;
          n.drainStartedAt = now;
          this.o.metrics?.drainStarted(n.region, "operator");
          this.o.logger.info({ node: n.name, region: n.region }, "node is draining (operator request)");
        } else if (!entry && now - (n.lastSeenAt ?? n.startedAt) > deadAfter) {
          await this.kill(n, "hung", now, "node missed its heartbeats; killed as hung");
        }
        return;
      }
      case PoolPhase.DRAINING: {
        if (!entry && now - (n.lastSeenAt ?? n.startedAt) > deadAfter) {
          await this.kill(n, "hung", now, "draining node missed its heartbeats; killed as hung");
          return;
        }
        if (entry?.state === NodeState.READY && n.nodeId) await this.o.drain(n.nodeId); // the request was lost: ask again
        const action = drainAction(entry ? entry.rooms : null, n.drainStartedAt ?? now, now, this.o.drainMaxMs);
        if (action === "wait") return;
        n.stopRequested = true;
        n.phase = PoolPhase.STOPPING;
        this.o.metrics?.drainFinished(n.region, action === "stop-empty" ? "empty" : "timeout", (now - (n.drainStartedAt ?? now)) / 1000);
        this.o.logger.info({ node: n.name, region: n.region, action, rooms: entry?.rooms ?? null }, "drain done; stopping node (SIGTERM)");
        await this.o.provider.stop(n.id, { signal: "SIGTERM" });
        return;
      }
      case PoolPhase.STOPPING:
        return; // waiting for the exit; the node's own watchdog bounds it
    }
  }

  private async scaleRegion(region: string, override: LimitOverride | undefined, queueWaitS: number | undefined, now: number, capacityWaitS?: number): Promise<void> {
    const rs = this.regionState(region);
    const limits: RegionLimits = override ?? this.o.limits;
    const mine = [...this.nodes.values()].filter((n) => n.region === region);
    const views: NodeView[] = mine.map((n) => ({ id: n.id, phase: n.phase, rooms: n.rooms ?? 0, capacity: n.capacity }));
    const rooms = views.reduce((a, v) => a + (v.phase === PoolPhase.READY || v.phase === PoolPhase.DRAINING ? v.rooms : 0), 0);
    const mode = this.o.forecast?.mode ?? "off";
    let forecastNodes: number | null = null;
    if (mode !== "off") {
      rs.forecast.record(now, rooms);
      forecastNodes = rs.forecast.nodes(now, this.o.nodeCapacity, this.o.policy.warmRooms);
    }
    const scheduled = scheduledNodes(this.schedule, region, now);
    const { decision, memory, load } = decide(views, limits, this.o.policy, {
      queueWaitS: queueWaitS ?? null,
      capacityWaitS: capacityWaitS ?? null,
      scheduledNodes: scheduled,
      forecastNodes: mode === "on" ? forecastNodes : null,
    }, rs.memory, now);

    const counts: Record<string, number> = {};
    for (const n of mine) counts[n.phase] = (counts[n.phase] ?? 0) + 1;
    this.o.metrics?.nodes(region, counts);
    this.o.metrics?.region(region, { warmRooms: load.free, utilization: load.capacity ? load.utilization : 0, desiredMin: limits.min, desiredMax: limits.max, forecastNodes, scheduledNodes: scheduled });

    if (decision.action === "none") {
      rs.memory = memory;
      if (decision.limited && decision.reason) this.o.metrics?.limited(region, decision.reason);
      return;
    }
    if (decision.action === "up") {
      const earliest = nextStartAt(rs.crashes, rs.lastCrashAt, this.o.crashBackoffMs, this.o.crashBackoffMaxMs);
      if (now < earliest) {
        if (!rs.backoffLogged) this.o.logger.warn({ region, crashes: rs.crashes, retryInMs: earliest - now }, "crash loop: backing off before the next start");
        rs.backoffLogged = true;
        return;
      }
      rs.memory = memory;
      const p = await this.o.provider.start({ region });
      this.nodes.set(p.id, {
        id: p.id, name: p.name, region, publicAddress: p.publicAddress, startedAt: p.startedAt, phase: PoolPhase.STARTING,
        nodeId: null, rooms: null, capacity: this.o.nodeCapacity, readyAt: null, drainStartedAt: null, lastSeenAt: null, stopRequested: false, adopted: false,
      });
      this.o.metrics?.scaleEvent(region, "up", decision.reason);
      this.o.logger.info({ region, reason: decision.reason, node: p.name, active: load.active, utilization: load.utilization }, "scale up");
      return;
    }
    rs.memory = memory;
    const victim = this.nodes.get(decision.nodeId);
    if (!victim) return;
    this.o.metrics?.scaleEvent(region, "down", decision.reason);
    this.o.logger.info({ region, reason: decision.reason, node: victim.name, rooms: victim.rooms, active: load.active }, "scale down: draining the emptiest node");
    if (victim.phase === PoolPhase.STARTING || !victim.nodeId) {
      victim.stopRequested = true;
      victim.phase = PoolPhase.STOPPING;
      await this.o.provider.stop(victim.id, { signal: "SIGTERM" });
      return;
    }
    victim.phase = PoolPhase.DRAINING;
    victim.drainStartedAt = now;
    this.o.metrics?.drainStarted(region, "policy");
    await this.o.drain(victim.nodeId);
  }
}
