/**
 * Online presence: online / in queue / in match (with the mode) / offline.
 *
 * Two layers per player, each a key with a TTL owned by the node that set it and refreshed by that
 * node every TTL/3:
 *   pres:on:{id}   the player holds a `social` room connection on that node
 *   pres:act:{id}  what it is doing (queue or match, with the mode), set by the queue / match rooms
 * The shown status is the activity when there is one, else online when connected, else offline.
 * A node that dies stops refreshing; its keys expire within PRESENCE_TTL_MS and every node's sweeper
 * (an expiry index `pres:exp`, whose removal exactly one node wins) publishes the change, so friends
 * see the player go offline within seconds without anyone polling.
 *
 * `PlayerPresence` is the hook for the rest of Rally: the queue room calls
 * `presence.set(playerId, { status: "in_queue", mode })` on join and `presence.set(playerId, null)`
 * on leave; match rooms are wired from their join/leave events in server/node.
 */
import type { SocialKv } from "./kv.ts";

export const PresenceStatus = { ONLINE: "online", IN_QUEUE: "in_queue", IN_MATCH: "in_match", OFFLINE: "offline" } as const;
export type PresenceStatus = (typeof PresenceStatus)[keyof typeof PresenceStatus];

export interface PresenceActivity {
  readonly status: "in_queue" | "in_match";
  readonly mode: string | null;
  readonly roomId?: string;
}

export interface PresenceView {
  readonly playerId: string;
  readonly status: PresenceStatus;
  readonly mode: string | null;
  /** When the current status began (epoch ms); null when offline. */
  readonly since: number | null;
}

/** The small API the matchmaker and rooms call. */
export interface PlayerPresence {
  /** Marks what the player is doing (null: nothing, back to online/offline). Survives until cleared or this node dies. */
  set(playerId: string, activity: PresenceActivity | null): Promise<void>;
  get(playerId: string): Promise<PresenceView>;
  getMany(playerIds: readonly string[]): Promise<PresenceView[]>;
}

export type PresenceListener = (view: PresenceView, previous: PresenceStatus) => void;

interface Entry { since: number; node: string; status?: PresenceActivity["status"]; mode?: string | null; roomId?: string }

const EXPIRY = "pres:exp";
const onKey = (id: string) => `pres:on:${id}`;
const actKey = (id: string) => `pres:act:${id}`;

export interface PresenceOptions {
  kv: SocialKv;
  nodeId: string;
  ttlMs: number;
  /** How often this node looks for expired entries of any node. */
  sweepMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export class PresenceService implements PlayerPresence {
  private readonly kv: SocialKv;
  private readonly now: () => number;
  /** Connections per player on this node (several tabs / rooms). */
  private readonly connections = new Map<string, number>();
  private readonly activities = new Map<string, Entry>();
  private readonly online = new Map<string, Entry>();
  private readonly listeners = new Set<PresenceListener>();
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: PresenceOptions) {
    this.kv = options.kv;
    this.now = options.now ?? Date.now;
  }

  /** Called for every status change this node observes or causes (exactly one node per change). */
  onChange(listener: PresenceListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  start(): void {
    const refreshMs = Math.max(100, Math.floor(this.options.ttlMs / 3));
    const err = (e: unknown) => this.options.onError?.(e);
    this.timers.push(setInterval(() => void this.refresh().catch(err), refreshMs));
    this.timers.push(setInterval(() => void this.sweep().catch(err), this.options.sweepMs ?? 1000));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** A `social` connection opened on this node. */
  async connect(playerId: string): Promise<void> {
    const n = (this.connections.get(playerId) ?? 0) + 1;
    this.connections.set(playerId, n);
    if (n > 1) return;
    const before = await this.status(playerId);
    const entry: Entry = { since: this.now(), node: this.options.nodeId };
    this.online.set(playerId, entry);
    await this.write(onKey(playerId), entry);
    await this.changed(playerId, before);
  }

  /** A `social` connection closed on this node (for good: after its reconnection window). */
  async disconnect(playerId: string): Promise<void> {
    const n = (this.connections.get(playerId) ?? 0) - 1;
    if (n > 0) return void this.connections.set(playerId, n);
    this.connections.delete(playerId);
    const entry = this.online.get(playerId);
    this.online.delete(playerId);
    if (!entry) return;
    const before = await this.status(playerId);
    await this.kv.cas(onKey(playerId), JSON.stringify(entry), null);
    await this.kv.zrem(EXPIRY, onKey(playerId));
    await this.changed(playerId, before);
  }

  isConnectedHere(playerId: string): boolean {
    return this.connections.has(playerId);
  }

  async set(playerId: string, activity: PresenceActivity | null): Promise<void> {
    const before = await this.status(playerId);
    if (activity) {
      const entry: Entry = { since: this.now(), node: this.options.nodeId, status: activity.status, mode: activity.mode, ...(activity.roomId ? { roomId: activity.roomId } : {}) };
      this.activities.set(playerId, entry);
      await this.write(actKey(playerId), entry);
    } else {
      this.activities.delete(playerId);
      await this.kv.del(actKey(playerId));
      await this.kv.zrem(EXPIRY, actKey(playerId));
    }
    await this.changed(playerId, before);
  }

  /** Clears the activity only while it is still `status` (a queue leaving after the match began must not undo "in match"). */
  async clearIf(playerId: string, status: PresenceActivity["status"]): Promise<void> {
    // This node stops owning its own entry of that status either way: another node's newer activity
    // (the match began elsewhere) must not be rewritten by this node's refresh.
    if (this.activities.get(playerId)?.status === status) this.activities.delete(playerId);
    const raw = await this.kv.get(actKey(playerId));
    if (parse(raw)?.status !== status) return;
    const before = await this.status(playerId);
    // compare-and-delete: an activity written meanwhile (the match began on any node) stays
    if (!(await this.kv.cas(actKey(playerId), raw, null))) return;
    await this.kv.zrem(EXPIRY, actKey(playerId));
    await this.changed(playerId, before);
  }

  async get(playerId: string): Promise<PresenceView> {
    return (await this.getMany([playerId]))[0]!;
  }

  async getMany(playerIds: readonly string[]): Promise<PresenceView[]> {
    if (playerIds.length === 0) return [];
    const raw = await this.kv.mget(playerIds.flatMap((id) => [onKey(id), actKey(id)]));
    return playerIds.map((playerId, i) => view(playerId, parse(raw[2 * i]), parse(raw[2 * i + 1])));
  }

  /** The refresh in progress: a second one waits for it (see `refresh`). */
  private refreshing: Promise<void> | null = null;

  /**
   * Re-writes this node's entries before they expire. One at a time: two overlapping refreshes (a slow
   * one held in the Redis client's offline queue through an outage, and the next tick's) would both
   * read a lost key as absent, and the second one's compare-and-set, finding the first's write, would
   * take it for another node's and drop this node's own activity for good.
   */
  refresh(): Promise<void> {
    if (!this.refreshing) this.refreshing = this.refreshOnce().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    for (const [id, e] of this.online) await this.write(onKey(id), e);
    if (!this.activities.size) return;
    // An activity is re-written only while the stored one is still this node's (or gone: Redis lost
    // it); once another node wrote a newer one (the match began there), this node lets go of its own.
    const ids = [...this.activities.keys()];
    const current = await this.kv.mget(ids.map(actKey));
    for (const [i, id] of ids.entries()) {
      const e = this.activities.get(id);
      if (!e) continue;
      const mine = JSON.stringify(e);
      const raw = current[i] ?? null;
      if ((raw !== null && raw !== mine) || !(await this.kv.cas(actKey(id), raw, mine, this.options.ttlMs))) {
        if (this.activities.get(id) === e) this.activities.delete(id);
        continue;
      }
      await this.kv.zset(EXPIRY, actKey(id), this.now() + this.options.ttlMs);
    }
  }

  /**
   * Entries written by nodes found dead (the reaper's job, one node at a time): removed now rather
   * than at their expiry, and the change published. Walks the expiry index, which lists every entry.
   */
  async dropNodes(nodeIds: readonly string[]): Promise<number> {
    const dead = new Set(nodeIds);
    if (!dead.size) return 0;
    const keys = await this.kv.zdue(EXPIRY, Number.MAX_SAFE_INTEGER, 100_000);
    let dropped = 0;
    for (let i = 0; i < keys.length; i += 500) {
      const page = keys.slice(i, i + 500);
      const values = await this.kv.mget(page);
      for (const [k, key] of page.entries()) {
        const raw = values[k] ?? null;
        const entry = parse(raw);
        if (!entry || !dead.has(entry.node)) continue;
        const playerId = key.slice(key.lastIndexOf(":") + 1);
        const before = await this.status(playerId);
        if (!(await this.kv.cas(key, raw, null))) continue;
        await this.kv.zrem(EXPIRY, key);
        dropped++;
        const now = await this.get(playerId);
        if (now.status !== before) this.emit(now, before);
      }
    }
    return dropped;
  }

  /** Publishes the change of every entry (of any node) whose TTL ran out. */
  async sweep(): Promise<void> {
    const due = await this.kv.zdue(EXPIRY, this.now(), 200);
    for (const key of due) {
      if ((await this.kv.get(key)) !== null) continue; // refreshed meanwhile; its owner moves the score
      if (!(await this.kv.zrem(EXPIRY, key))) continue; // another node handles it
      const playerId = key.slice(key.lastIndexOf(":") + 1);
      const previous = key.startsWith("pres:on:") ? PresenceStatus.ONLINE : PresenceStatus.IN_MATCH;
      const now = await this.get(playerId);
      if (now.status !== previous) this.emit(now, previous);
    }
  }

  private async write(key: string, entry: Entry): Promise<void> {
    await this.kv.set(key, JSON.stringify(entry), this.options.ttlMs);
    await this.kv.zset(EXPIRY, key, this.now() + this.options.ttlMs);
  }

  private async status(playerId: string): Promise<PresenceStatus> {
    return (await this.get(playerId)).status;
  }

  private async changed(playerId: string, before: PresenceStatus): Promise<void> {
    const now = await this.get(playerId);
    if (now.status !== before || now.status === PresenceStatus.IN_QUEUE || now.status === PresenceStatus.IN_MATCH) this.emit(now, before);
  }

  private emit(v: PresenceView, previous: PresenceStatus): void {
    for (const l of this.listeners) {
      try {
        l(v, previous);
      } catch (e) {
        this.options.onError?.(e);
      }
    }
  }
}

function parse(raw: string | null | undefined): Entry | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Entry;
  } catch {
    return null;
  }
}

function view(playerId: string, on: Entry | null, act: Entry | null): PresenceView {
  if (act?.status) return { playerId, status: act.status, mode: act.mode ?? null, since: act.since };
  if (on) return { playerId, status: PresenceStatus.ONLINE, mode: null, since: on.since };
  return { playerId, status: PresenceStatus.OFFLINE, mode: null, since: null };
}

/** For tests and single-purpose tools: a presence that knows nothing. */
export const noPresence: PlayerPresence = {
  async set() {},
  async get(playerId) { return { playerId, status: PresenceStatus.OFFLINE, mode: null, since: null }; },
  async getMany(ids) { return ids.map((playerId) => ({ playerId, status: PresenceStatus.OFFLINE, mode: null, since: null })); },
};
