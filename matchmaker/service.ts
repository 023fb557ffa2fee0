/**
 * The matchmaker of one node: the matcher loop, provisioning, no-show handling and the shared
 * queue bookkeeping the `queue` room (queue-room.ts) builds on.
 *
 * Every node runs a `MatchmakerService`; for each (mode, region shard), only the holder of that
 * shard's lease forms matches (RedisLease with fencing in a cluster, LocalLease in one process). A
 * pass is `runPass(listWaiting(mode, { shard }), now, shardRules(rules, shard))`: only the shard's
 * tickets, region expansion only inside the shard. Each match is claimed in the TicketStore with the
 * shard's fencing token (all or nothing, every ticket of that shard), then provisioned: `createRoom(modeRoom, { matchId, teams,
 * region, mode })` on the node Rally's selector picks, then `reserveMultipleSeatsFor` every player;
 * the seats go to the queue rooms holding the tickets over presence pub/sub. Any failure puts the
 * tickets back with their original enqueue time.
 *
 * No timers in the constructor: `start()` runs the loop, `tick(now)` is one step with time passed in.
 */
import { randomUUID } from "node:crypto";
import {
  CAPACITY_BY_MODE_KEY, CAPACITY_WAIT_KEY, decodeRefusal, RallyError, OLDEST_BY_MODE_KEY, OLDEST_WAIT_KEY, seatTopic, TTM_KEY,
  type BackfillAdmission, type BackfillOpening, type CurrentMatch, type HeldSeat, type NoShowReport, type RejoinResponse, type SeatReservation,
} from "../protocol/index.ts";
import { fillBackfills, type BackfillFill, type BackfillRequest } from "./backfill.ts";
import { MemoryBackfillStore, type BackfillStore } from "./backfill-store.ts";
import type { MatchmakerMetrics } from "./metrics.ts";
import { Matcher, type Match } from "./matcher.ts";
import { hashString } from "./random.ts";
import { DEFAULT_DECLINE_COOLDOWN_S, DEFAULT_SHARD, regionsAt, shardOf, shardRules, shardsOf, ticketShard, windowAt, type ModeRules } from "./rules.ts";
import type { Lease, LeaseGrant } from "./lease.ts";
import { shardKey, type StoredTicket, type TicketStore } from "./ticket-store.ts";
import { makeTicket, TicketState, type Ticket } from "./ticket.ts";
import { PlayerQueueState, type PlayerIndex, type PlayerRecord } from "./player-index.ts";
import type { PartyDirectory, QueueParty } from "./party.ts";
import { WaitingMirror } from "./waiting-mirror.ts";
import { waitOutlook, type WaitOutlook } from "./wait-outlook.ts";
import { atFault, decideProposal, MemoryProposalStore, type AnswerResult, type ProposalAnswerKind, type ProposalOutcome, type ProposalStore, type ProposalView } from "./proposal-store.ts";
import { partyAttributes, type TicketAttributes } from "./attributes.ts";
import { MATCHED_TTL_MS, noShowOutcome, TicketLifecycle, TicketLifecycleError, TicketPhase, handleOf, type PlayerStanding, type TicketHandle } from "./ticket-lifecycle.ts";

/** A queue mode: its matching rules and the room type a match is created in. */
export interface QueueMode {
  readonly rules: ModeRules;
  /** room name registered on every node (`arena`) */
  readonly room: string;
}
export type QueueModes = Readonly<Record<string, QueueMode>>;

/** The Colyseus seat reservation the client consumes (ISeatReservation): protocol/queue.ts. */
export type { SeatReservation };

/** What provisioning needs from Colyseus' matchMaker (injected; tests may fake it). */
export interface RoomApi {
  createRoom(roomName: string, options: Record<string, unknown>): Promise<{ roomId: string; processId: string }>;
  reserveMultipleSeatsFor(listing: { roomId: string }, seats: Array<{ sessionId: string; options: unknown; auth: unknown }>): Promise<boolean[]>;
  buildSeatReservation(listing: { roomId: string }, sessionId: string): SeatReservation;
  /** close a room created for a match that could not be seated */
  disposeRoom(roomId: string): Promise<void>;
  /** is a room of this match still listed anywhere in the cluster */
  matchAlive(matchId: string): Promise<boolean>;
  newSessionId(): string;
  /** The listing of this match's room, wherever it runs (null: not listed). Absent: rejoin is off (`currentMatch` answers null). */
  findMatch?(matchId: string): Promise<MatchListing | null>;
  /** Ask the room (on its node) which seat it holds for this player (rooms/match-room.ts `heldSeat`); null: none. */
  heldSeat?(roomId: string, playerId: string): Promise<HeldSeat | null>;
  /** Ask a running match's room to take these players into its open seats (rooms/match-room.ts `admitBackfill`). Absent: no backfill. */
  admitBackfill?(roomId: string, admission: BackfillAdmission): Promise<boolean>;
}

/** A match room's listing, as the rejoin needs it (`buildSeatReservation` takes it as it is). */
export interface MatchListing {
  readonly roomId: string;
  /** the room's registered name (Colyseus' `name`) */
  readonly name: string;
  readonly processId: string;
  readonly publicAddress?: string;
  readonly mode: string | null;
}

/** Presence subset: pub/sub for seats, hashes for cluster-wide signals. */
export interface Bus {
  publish(topic: string, data: unknown): unknown;
  hset(key: string, field: string, value: string): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string> | null | undefined>;
}

export interface MatchmakerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface MatchmakerDeps {
  readonly modes: QueueModes;
  readonly store: TicketStore;
  readonly players: PlayerIndex;
  readonly lease: Lease;
  /** Match proposals and queue cooldowns (modes with `acceptS`); default: memory (one process). */
  readonly proposals?: ProposalStore;
  /** Running matches' open seats (modes with `backfill`); default: memory (one process). */
  readonly backfills?: BackfillStore;
  readonly parties: PartyDirectory;
  readonly rooms: RoomApi;
  readonly bus: Bus;
  readonly metrics: MatchmakerMetrics;
  readonly logger: MatchmakerLogger;
  /** This node's region (a ticket's home region unless its latencies name a better known one). */
  readonly region: string;
  /** Regions with live nodes in the cluster (the queue never homes a ticket elsewhere). */
  knownRegions(): Promise<string[]>;
  /** The server's current search rating of a player in a mode (never from client options). */
  ratingOf(playerId: string, mode: string): Promise<number>;
  now(): number;
  /** Seconds a matchmade room waits for its players (seat reservation and connect timeout); default: the mode's readyCheck or 15. */
  readonly connectTimeoutS?: number;
  readonly leaseTtlMs?: number;
  /** Seconds a dropped queue connection may come back before its ticket is cancelled (also how long a requeued player's ticket waits for them). */
  readonly queueGraceS?: number;
  /**
   * Is this node (a process id) alive in the node registry (heartbeat within its TTL)? A queued
   * player's record held by a dead node's queue room is stale at once. Absent: only the record's own
   * heartbeat age (`STALE_QUEUE_MS`) counts.
   */
  nodeAlive?(nodeId: string): Promise<boolean>;
}

/**
 * The largest party `mode` takes (`party.maxSize` of its rules); for no mode yet, the largest over
 * every mode (a party that has not picked a mode may grow to what some mode takes). Undefined for
 * an unknown mode. The one place the party cap is computed: the queue refuses over it, the social
 * service caps parties with it.
 */
export function partyCapOf(modes: Readonly<Record<string, { readonly rules: { readonly party: { readonly maxSize: number } } }>>, mode: string | null): number | undefined {
  if (mode === null) {
    const caps = Object.values(modes).map((m) => m.rules.party.maxSize);
    return caps.length ? Math.max(...caps) : undefined;
  }
  return Object.hasOwn(modes, mode) ? modes[mode]!.rules.party.maxSize : undefined;
}

/** Presence topics and keys (declared once in protocol/cluster-keys.ts; the pool manager reads the waits). */
export { CAPACITY_WAIT_KEY, OLDEST_WAIT_KEY, seatTopic };
/** Requeue reasons that mean "no capacity to run the match", not "not enough players". */
const CAPACITY_REASONS = new Set(["no-node", "create-failed"]);

/**
 * What goes over `seatTopic`: seats by player, the news that the ticket is waiting again, a match
 * proposal to answer (modes with `acceptS`), or the end of the ticket by a dropped proposal.
 */
export type SeatNotice =
  | { readonly kind: "seat"; readonly matchId: string; readonly seats: Readonly<Record<string, SeatReservation>> }
  | { readonly kind: "requeued"; readonly reason: string }
  | { readonly kind: "proposal"; readonly matchId: string; readonly mode: string; readonly acceptS: number; readonly players: number; readonly deadlineMs: number }
  | { readonly kind: "dropped"; readonly matchId: string; readonly reason: "PROPOSAL_DECLINED" | "PROPOSAL_TIMEOUT" };

/** One player's seat in a match room, before and after its reservation. */
interface Seat {
  readonly ticket: Ticket;
  readonly playerId: string;
  readonly sessionId: string;
  readonly name: string;
}

/** A proposal outlives its deadline by this much in the stores, so a late settler still reads its answers. */
export const PROPOSAL_GRACE_MS = 30_000;
/** A queue room settles a proposal itself (its leader died) once the deadline is this far behind. */
export const PROPOSAL_FALLBACK_MS = 2_000;

/** A proposal the leader that formed it is waiting on (leader memory; the store holds the answers). */
interface PendingProposal {
  readonly mode: QueueMode;
  readonly match: Match;
  readonly matchId: string;
  readonly handles: readonly TicketHandle[];
  readonly deadlineMs: number;
  readonly formedAt: number;
}

export type { NoShowReport };

const RECENT = 64;
/**
 * A queued player's record not refreshed for this long belongs to a dead queue connection (the
 * queue room refreshes every 3 s). The fallback: a record naming a node the registry says is dead
 * is stale at once (`nodeAlive`).
 */
export const STALE_QUEUE_MS = 15_000;
/** How often the leader looks for waiting tickets whose players are gone. */
export const ORPHAN_SWEEP_MS = 5_000;
const ORPHAN_SWEEP_BATCH = 1000;
/** A claimed match without a room yet is still being provisioned for this long. */
const PROVISION_WINDOW_MS = 30_000;
export { MATCHED_TTL_MS };


/** A shard's openings hash outlives the latest `untilMs` it holds by this much (clocks of nodes differ a little). */
const BACKFILL_KEY_GRACE_MS = 60_000;

/** Matches claimed and provisioned at once (their Redis commands share round trips). */
const CLAIM_CONCURRENCY = 64;

/** Wall time of one leader pass by phase, ms (the pass bench reads it). */
export interface PassPhases {
  /** mirror sync: the changes since the last pass, or every waiting ticket on a full read */
  readonly syncMs: number;
  /** orphan sweep (0 when not due) */
  readonly sweepMs: number;
  /** the pure matcher pass */
  readonly matchMs: number;
  /** claims, provisioning and the waiting/capacity publishing */
  readonly claimMs: number;
  readonly full: boolean;
  /** tickets read from the store by the sync */
  readonly read: number;
  readonly waiting: number;
  /** lobbies the matcher proposed, and matches formed (claimed) of them */
  readonly proposed: number;
  readonly matches: number;
}

export class MatchmakerService {
  private readonly grants = new Map<string, LeaseGrant>();
  /** Next orphan sweep per (mode, shard) and sweep slice. */
  private readonly nextSweep = new Map<string, number>();
  /** passes run per (mode, shard): which sweep slice is next */
  private readonly sweepTurn = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();
  private estimates: Record<string, { p50: number; p90: number; n: number }> = {};
  private timer: ReturnType<typeof setInterval> | undefined;
  private estimateTimer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  private holder = "";
  private readonly nextDue = new Map<string, number>();
  /** (mode, shard) key -> regions whose `ticketsWaiting` gauge this node set */
  private readonly gaugeRegions = new Map<string, Set<string>>();
  /** (mode, shard) key -> ids of tickets whose match found no node, until they are seated or leave (leader memory). */
  private readonly starved = new Map<string, Set<string>>();
  /** (mode, shard) key -> regions with a non-zero capacity wait at this node's last write (so a 0 replaces it) */
  private readonly capacityRegions = new Map<string, Set<string>>();
  /** (mode, shard) key -> the leader's mirror of its waiting list (one per lease token) */
  private readonly mirrors = new Map<string, WaitingMirror>();
  /** (mode, shard) key -> its matcher (pass buffers and ticket field cache), kept while this node leads the shard */
  private readonly matchers = new Map<string, Matcher>();
  /** match id -> proposals this node formed and settles (modes with `acceptS`) */
  private readonly pending = new Map<string, PendingProposal>();
  private readonly proposalStore: ProposalStore;
  private readonly backfillStore: BackfillStore;
  /** match id -> the last write of its opening from this node (a room's updates are written in order) */
  private readonly openingWrites = new Map<string, Promise<void>>();
  /** match id -> ratings of its players this node read for its open opening (a match's ratings do not change while it plays; dropped on withdrawal) */
  private readonly openingRatings = new Map<string, Map<string, number>>();
  /** phases of the last pass this node ran */
  lastPass: PassPhases | undefined;
  /** every ticket transition: the only writer of the ticket store and the player index */
  readonly tickets: TicketLifecycle;

  constructor(readonly deps: MatchmakerDeps) {
    this.tickets = new TicketLifecycle({ store: deps.store, players: deps.players, rulesOf: (mode) => deps.modes[mode]?.rules });
    this.proposalStore = deps.proposals ?? new MemoryProposalStore(deps.now);
    this.backfillStore = deps.backfills ?? new MemoryBackfillStore();
  }

  /** Read access to open backfill seats (tests, the admin console). */
  get backfills(): Pick<BackfillStore, "list"> { return this.backfillStore; }

  /** Read access to proposals (the queue room checks cooldowns; tests read answers). */
  get proposals(): Pick<ProposalStore, "get" | "cooldownUntil"> { return this.proposalStore; }

  get modes(): QueueModes { return this.deps.modes; }
  /** Read access for the admin console and tests; every write goes through `tickets`. */
  get store(): Pick<TicketStore, "get" | "listWaiting"> { return this.deps.store; }
  get players(): Pick<PlayerIndex, "get"> { return this.deps.players; }
  get queueGraceS(): number { return this.deps.queueGraceS ?? 10; }
  /** This node's process id once started ('' before). */
  get nodeId(): string { return this.holder; }
  /** How long a ticket whose players were sent back to the queue (no-show) waits for them: the queue grace. */
  get requeueTtlMs(): number { return this.queueGraceS * 1000; }

  /** The region shard of `mode` a ticket with this home region belongs to. */
  shardOf(mode: string, region: string): string {
    return ticketShard(this.modes[mode]?.rules ?? {}, { region });
  }

  /** The matcher of (mode, shard): its buffers and field cache live while this node leads the shard. */
  matcherOf(mode: string, shard: string): Matcher {
    const key = shardKey(mode, shard);
    let m = this.matchers.get(key);
    if (!m) this.matchers.set(key, m = new Matcher());
    return m;
  }

  /**
   * The largest party a mode takes (its rules' `party.maxSize`); for no mode yet (a party not
   * queueing), the largest over every mode. Undefined for an unknown mode.
   */
  partyCap(mode: string | null): number | undefined {
    return partyCapOf(this.modes, mode);
  }

  /**
   * The party `playerId` queues with for `mode`, checked against the party directory and the mode's
   * party cap. Throws RallyError (PARTY_NOT_FOUND, NOT_IN_PARTY, PARTY_TOO_LARGE).
   */
  async partyFor(partyId: string, playerId: string, mode: string): Promise<QueueParty> {
    const party = await this.deps.parties.forQueue(partyId, playerId);
    const max = this.partyCap(mode);
    if (max !== undefined && party.memberIds.length > max) throw new RallyError("PARTY_TOO_LARGE", `mode "${mode}" takes parties of at most ${max}`);
    return party;
  }

  /**
   * The ticket for these players joining `mode` together (a solo, or every member of a party): the
   * ticket one of them may resume (sent back after a no-show, or queued on a node that died), else a
   * new one with their records taken (`queued`: not listed yet, so the caller can subscribe to its
   * seats first; `listTicket` lists it). A player's other ticket that no longer fits (another mode or
   * party) ends here (`cancel`). Throws TicketLifecycleError (MM_ALREADY_QUEUED, MM_ALREADY_IN_MATCH)
   * or RallyError (MM_INVALID_TICKET) without taking any record.
   */
  async prepareTicket(join: { readonly mode: string; readonly partyId?: string; readonly members: readonly { readonly playerId: string; readonly name: string; readonly latencies: Readonly<Record<string, number>>; readonly attributes?: TicketAttributes }[] }): Promise<TicketHandle> {
    const { mode, partyId, members } = join;
    // one ticket, one set of preferences: every member sent the same attributes (else MM_BAD_ATTRIBUTES)
    const attributes = partyAttributes(members.map((m) => m.attributes));
    const playerIds = members.map((m) => m.playerId);
    const now = this.deps.now();
    let resume: TicketHandle | null = null;
    for (const m of members) {
      const block = await this.blocking(m.playerId);
      if (!block) continue;
      if (block.code === "MM_ALREADY_QUEUED") throw new TicketLifecycleError(block.code, "this player is already in a queue");
      if (block.code === "MM_ALREADY_IN_MATCH") throw new TicketLifecycleError(block.code, "this player is in a match", block.match ? { match: block.match } : {});
      const standing = await this.tickets.standing(m.playerId);
      const stored = standing?.stored;
      // (and still in the shard its region belongs to: shards changed since = a new ticket)
      const same = stored && stored.ticket.mode === mode && stored.ticket.playerIds.length === playerIds.length && stored.ticket.playerIds.every((id) => playerIds.includes(id))
        && stored.shard === this.tickets.shardOf(stored.ticket);
      if (same) resume = handleOf(stored, standing.phase);
      else if (stored && (standing.phase === TicketPhase.searching || standing.phase === TicketPhase.requeued)) await this.tickets.cancel(handleOf(stored, standing.phase)); // the old ticket no longer fits: it ends here
      else await this.tickets.forget(m.playerId, block.ticketId);
    }
    if (resume) return resume;
    // a party plays from the regions every member can reach; the worst member's latency counts
    const lat: Record<string, number> = {};
    for (const region of Object.keys(members[0].latencies)) {
      if (members.every((m) => region in m.latencies)) lat[region] = Math.max(...members.map((m) => m.latencies[region]));
    }
    const latencies = await this.knownLatencies(lat);
    // Home is this node's region: the one region whose latency the node verified (matchmaker/latency.ts).
    const region = this.deps.region;
    const playerRatings = await Promise.all(playerIds.map((id) => this.deps.ratingOf(id, mode)));
    const ticket = makeTicket({ id: `t_${randomUUID()}`, mode, playerIds, partyId, playerRatings, region, latencies, enqueuedAt: now, ...(attributes ? { attributes } : {}) });
    return this.tickets.queue(ticket, members.map((m) => ({ playerId: m.playerId, name: m.name })), now, this.holder);
  }

  /**
   * restore: a ticket the store lost (Redis restarted without its data) is written back as it was
   * by the queue room still holding it. False when a player meanwhile holds another ticket (this
   * one ends; nothing written).
   */
  async restoreTicket(h: TicketHandle, players: readonly { playerId: string; name: string }[]): Promise<boolean> {
    const conflict = await this.tickets.restore(h, players, this.deps.now(), this.holder);
    if (conflict) return false;
    this.deps.metrics.requeues.inc({ mode: h.ticket.mode, reason: "restored" });
    this.deps.logger.info({ ticketId: h.ticket.id, mode: h.ticket.mode, enqueuedAt: h.ticket.enqueuedAt }, "queue ticket restored (the store had lost it)");
    return true;
  }

  /**
   * List a prepared ticket: a new one enters its shard's waiting list (`search`), a resumed one waits
   * again with its original enqueue time, held by this node's queue room now (`resume`).
   */
  async listTicket(h: TicketHandle): Promise<TicketHandle> {
    if (h.phase === TicketPhase.queued) {
      const listed = await this.tickets.search(h);
      this.deps.metrics.queued.inc({ mode: h.ticket.mode });
      return listed;
    }
    return this.tickets.resume(h, this.deps.now(), this.holder);
  }

  connectTimeoutS(mode: string): number {
    return this.deps.connectTimeoutS ?? this.modes[mode]?.rules.readyCheck?.timeoutS ?? 15;
  }

  /** Start the loop as `holder` (the process id; must not contain '|'). */
  start(holder: string, tickMs = 250): void {
    if (this.timer) return;
    this.holder = holder;
    this.timer = setInterval(() => void this.tick(this.deps.now()), tickMs);
    this.timer.unref?.();
    this.estimateTimer = setInterval(() => void this.refreshEstimates(), 2000);
    this.estimateTimer.unref?.();
    void this.refreshEstimates();
  }

  /** Stop leading: release held leases so another node takes over at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.estimateTimer);
    this.timer = undefined;
    for (const grant of this.grants.values()) await this.deps.lease.release(grant).catch(() => undefined);
    this.grants.clear();
    this.mirrors.clear();
    this.matchers.clear();
    // proposals this node formed are settled by their players' queue rooms after the deadline
    this.pending.clear();
  }

  /** One loop step at `nowMs`: per (mode, shard) whose pass is due, hold that shard's lease, then pass + provision. */
  async tick(nowMs: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      if (this.pending.size) await this.settleProposals(nowMs).catch((err) => this.deps.logger.warn({ err }, "proposals not settled"));
      for (const [name, mode] of Object.entries(this.modes)) {
        for (const shard of shardsOf(mode.rules)) {
          const key = shardKey(name, shard);
          if ((this.nextDue.get(key) ?? 0) > nowMs) continue;
          this.nextDue.set(key, nowMs + mode.rules.passEveryS * 1000);
          const grant = await this.holdLease(name, shard).catch((err) => {
            this.deps.logger.warn({ err, mode: name, shard }, "matcher lease unavailable");
            return null;
          });
          this.deps.metrics.leader.set({ mode: name, shard }, grant ? 1 : 0);
          if (!grant) {
            // a follower keeps no pool: its mirror and matcher (buffers sized to the pool) go; a new
            // lease starts from a full read, whose new ticket objects the old field cache would miss anyway
            this.mirrors.delete(key);
            this.matchers.delete(key);
            this.clearWaitingGauge(key, name);
            this.capacityRegions.delete(key);
            continue;
          }
          await this.pass(mode, grant, nowMs, shard).catch((err) => this.deps.logger.warn({ err, mode: name, shard }, "matcher pass failed"));
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Lease `matcher:{mode}` for the default shard (the name a mode had before shards), `matcher:{mode}/{shard}` else. */
  private async holdLease(mode: string, shard: string): Promise<LeaseGrant | null> {
    const ttl = this.deps.leaseTtlMs ?? 3000;
    const name = `matcher:${shardKey(mode, shard)}`;
    const held = this.grants.get(name);
    let grant = held ? await this.deps.lease.renew(held, ttl) : await this.deps.lease.tryAcquire(name, this.holder || "local", ttl);
    if (held && !grant) {
      this.deps.logger.warn({ mode, shard, token: held.token }, "matcher lease lost");
      grant = await this.deps.lease.tryAcquire(name, this.holder || "local", ttl);
    }
    if (grant && grant.token !== held?.token) this.deps.logger.info({ mode, shard, token: grant.token, holder: grant.holder }, "matcher lease acquired");
    if (grant) this.grants.set(name, grant);
    else this.grants.delete(name);
    return grant;
  }

  /** One pass of a (mode, shard) as the leader holding `grant` (that shard's lease). */
  async pass(mode: QueueMode, grant: LeaseGrant, nowMs: number, shard: string = DEFAULT_SHARD): Promise<Match[]> {
    const rules = mode.rules;
    const key = shardKey(rules.name, shard);
    const tSync = performance.now();
    // a mirror per lease: a new lease (or a new leader) starts from a full read, then only changes
    let mirror = this.mirrors.get(key);
    if (!mirror || mirror.token !== grant.token) this.mirrors.set(key, mirror = new WaitingMirror(this.deps.store, rules.name, shard, grant.token, rules));
    const synced = await mirror.sync();
    // only this shard's tickets: the store keeps one waiting list per shard, and the mirror keeps out any ticket the rules put elsewhere
    const listed = synced.tickets;
    const tSweep = performance.now();
    const orphans = await this.sweepOrphans(shard, ...this.sweepSlice(key, rules.passEveryS, listed, synced.full));
    const pool = orphans.size ? listed.filter((t) => !orphans.has(t.id)) : listed;
    // running matches' open seats first (modes with backfill): their tickets sit out the pass below
    const backfilled = rules.backfill ? await this.backfill(mode, grant, nowMs, shard, pool).catch((err: unknown) => {
      this.deps.logger.warn({ err, mode: rules.name, shard }, "backfill step failed");
      return new Set<string>();
    }) : null;
    const open = backfilled?.size ? pool.filter((t) => !backfilled.has(t.id)) : pool;
    const t0 = performance.now();
    const result = this.matcherOf(rules.name, shard).pass(open, nowMs, shardRules(rules, shard, new Set(pool.map((t) => t.region))), { seed: grant.token, shard });
    const tMatch = performance.now();
    this.deps.metrics.passDuration.observe({ mode: rules.name }, (tMatch - t0) / 1000);
    if (result.hookErrors) this.deps.logger.warn({ mode: rules.name, shard, errors: result.hookErrors, calls: result.hookCalls }, "match hook threw; those candidates were not formed");

    const formed: Match[] = [];
    const taken = new Set<string>();
    for (let i = 0; i < result.matches.length; i += CLAIM_CONCURRENCY) {
      const chunk = result.matches.slice(i, i + CLAIM_CONCURRENCY);
      const done = await Promise.all(chunk.map((m) => this.formMatch(mode, m, grant, nowMs, shard)));
      chunk.forEach((m, k) => {
        if (!done[k]) return;
        formed.push(m);
        for (const t of m.teams.flatMap((team) => team.tickets)) taken.add(t.id);
      });
    }
    for (const id of backfilled ?? []) taken.add(id);
    await this.publishWaiting(rules, shard, pool.filter((t) => !taken.has(t.id)), nowMs);
    await this.publishCapacityWait(rules, shard, pool, nowMs);
    this.lastPass = {
      syncMs: tSweep - tSync, sweepMs: t0 - tSweep, matchMs: tMatch - t0, claimMs: performance.now() - tMatch,
      full: synced.full, read: synced.read, waiting: pool.length, proposed: result.matches.length, matches: formed.length,
    };
    return formed;
  }

  /**
   * What this pass's orphan sweep covers: the whole pool after a full read (a new lease), else one
   * slice by ticket-id hash per pass, each slice due every ORPHAN_SWEEP_MS, so every ticket is still
   * checked about that often but no pass pays for reading every player record (100k at 100k tickets).
   */
  private sweepSlice(key: string, passEveryS: number, pool: readonly Ticket[], full: boolean): [string, readonly Ticket[]] {
    const slices = Math.max(1, Math.round(ORPHAN_SWEEP_MS / (passEveryS * 1000)));
    if (full || slices === 1) return [key, pool];
    const turn = this.sweepTurn.get(key) ?? 0;
    this.sweepTurn.set(key, turn + 1);
    const slice = turn % slices;
    return [`${key}#${slice}`, pool.filter((t) => hashString(t.id) % slices === slice)];
  }

  /**
   * Waiting tickets nobody is connected for any more (their queue node died and no player came back
   * within the grace) are cancelled, so the matcher never seats players who are gone. Every
   * `ORPHAN_SWEEP_MS` per shard, by the leader only: one record read per waiting ticket.
   */
  private async sweepOrphans(shard: string, key: string, pool: readonly Ticket[]): Promise<Set<string>> {
    const orphans = new Set<string>();
    const now = this.deps.now();
    if ((this.nextSweep.get(key) ?? 0) > now) return orphans;
    this.nextSweep.set(key, now + ORPHAN_SWEEP_MS);
    const graceMs = this.queueGraceS * 1000;
    // Records are read in concurrent batches: ioredis pipelines them, so a large pool costs a few round trips per batch, not one per ticket.
    for (let i = 0; i < pool.length; i += ORPHAN_SWEEP_BATCH) {
      const batch = pool.slice(i, i + ORPHAN_SWEEP_BATCH);
      const records = await this.deps.players.getMany(batch.map((t) => t.playerIds[0]!));
      for (let k = 0; k < batch.length; k++) {
        const t = batch[k]!, rec = records[k];
        const owned = rec !== undefined && rec.ticketId === t.id;
        const stale = owned && rec.state === PlayerQueueState.queued && now - rec.at >= graceMs && await this.queueHolderGone(rec, now);
        // a cancelled ticket nobody holds would stay forever: it is removed (a late rejoin finds no ticket and queues anew)
        if ((owned && !stale) || !(await this.tickets.cancel({ ticket: t, phase: TicketPhase.searching, shard }))) continue;
        orphans.add(t.id);
        this.deps.metrics.requeues.inc({ mode: t.mode, reason: "orphaned" });
        this.deps.logger.info({ ticketId: t.id, mode: t.mode }, "orphaned ticket cancelled (its queue connection is gone)");
      }
    }
    return orphans;
  }

  /** Claim (fenced), then provision. False if the claim was refused (nothing changed). */
  private async formMatch(mode: QueueMode, match: Match, grant: LeaseGrant, nowMs: number, shard: string): Promise<boolean> {
    const rules = mode.rules;
    const matchId = `m_${randomUUID()}`;
    const tickets = match.teams.flatMap((t) => t.tickets);
    // every ticket of the pool is listed in the shard's waiting list: searching
    const listed = new Array<TicketHandle>(tickets.length);
    for (let i = 0; i < tickets.length; i++) listed[i] = { ticket: tickets[i]!, phase: TicketPhase.searching, shard };
    const { result: claim, claimed } = await this.tickets.claim(listed, rules.name, shard, matchId, grant.token, nowMs, this.holder);
    if (!claim.ok) {
      this.deps.logger.debug({ mode: rules.name, shard, reason: claim.reason }, "claim refused");
      return false;
    }
    if (rules.acceptS !== undefined) {
      await this.propose(mode, match, matchId, claimed, nowMs);
      return true;
    }
    await this.provisionFormed(mode, match, matchId, claimed, nowMs);
    return true;
  }

  /** Provision a formed match (claimed, or proposed and accepted by all) and count it as formed. */
  private async provisionFormed(mode: QueueMode, match: Match, matchId: string, claimed: readonly TicketHandle[], nowMs: number): Promise<boolean> {
    const rules = mode.rules;
    const tickets = claimed.map((h) => h.ticket);
    const ok = await this.provision(mode, match, matchId, claimed);
    if (!ok) return false;
    const m = this.deps.metrics;
    const bots = match.teams.some((t) => t.bots > 0);
    m.matchesFormed.inc({ mode: rules.name, region: match.region, bots: bots ? "yes" : "no" });
    m.ratingGap.observe({ mode: rules.name }, match.ratingGap);
    m.predictedWin.observe({ mode: rules.name }, match.predictedWinProb);
    if (match.crossRegion) m.crossRegion.inc({ mode: rules.name });
    for (const t of tickets) {
      const waited = Math.max(0, nowMs - t.enqueuedAt);
      m.timeToMatch.observe({ mode: rules.name, region: t.region }, waited / 1000);
      const key = `${rules.name}|${t.region}`;
      const list = this.recent.get(key) ?? [];
      list.push(waited);
      if (list.length > RECENT) list.shift();
      this.recent.set(key, list);
    }
    this.deps.logger.info({ matchId, mode: rules.name, region: match.region, players: tickets.reduce((n, t) => n + t.playerIds.length, 0), gap: Math.round(match.ratingGap * 10) / 10, bots }, "match formed");
    return true;
  }

  /**
   * Accept or decline: the claimed match is proposed to its players (their queue rooms hear it over
   * `seatTopic`, as seats) and recorded in the proposal store, where answers from any node land; this
   * leader settles it on its next ticks (`settleProposals`), or the players' queue rooms do once the
   * deadline is past (`settleProposalFor`), should this node die meanwhile.
   */
  private async propose(mode: QueueMode, match: Match, matchId: string, claimed: readonly TicketHandle[], nowMs: number): Promise<void> {
    const rules = mode.rules;
    const acceptS = rules.acceptS!;
    const deadlineMs = nowMs + acceptS * 1000;
    const ttlMs = acceptS * 1000 + PROPOSAL_GRACE_MS;
    const players = claimed.flatMap((h) => h.ticket.playerIds);
    try {
      await this.proposalStore.open({ matchId, deadlineMs, players }, ttlMs);
    } catch (err) {
      // nothing was proposed: the claimed tickets wait again, as after a failed placement
      this.deps.logger.warn({ err, matchId }, "proposal not recorded; tickets re-queued");
      await this.requeue(rules.name, claimed, "propose-failed");
      return;
    }
    // from here on the proposal settles (or times out) whatever fails: a ticket whose expiry was not
    // written is still this proposal's, and the settle applies to it
    const handles = await Promise.all(claimed.map((h) => this.tickets.propose(h, ttlMs, nowMs).catch((err: unknown) => {
      this.deps.logger.warn({ err, ticketId: h.ticket.id }, "proposed ticket's expiry not written");
      return { ...h, phase: TicketPhase.proposed };
    })));
    this.pending.set(matchId, { mode, match, matchId, handles, deadlineMs, formedAt: nowMs });
    const notice: SeatNotice = { kind: "proposal", matchId, mode: rules.name, acceptS, players: players.length, deadlineMs };
    for (const h of handles) await this.deps.bus.publish(seatTopic(h.ticket.id), notice);
    this.deps.logger.info({ matchId, mode: rules.name, players: players.length, acceptS }, "match proposed");
  }

  /** A player's answer to a proposal, from the queue room holding its ticket (any node). */
  answerProposal(matchId: string, playerId: string, answer: ProposalAnswerKind): Promise<AnswerResult> {
    return this.proposalStore.answer(matchId, playerId, answer);
  }

  /**
   * The leader's proposals: settled once everyone accepted (provisioned as any match), someone
   * declined, or the deadline passed (dropped: `dropProposal`). The store's `settle` is first-writer-
   * wins, so a queue room that settled it first (this leader was slow) decides the outcome.
   */
  private async settleProposals(nowMs: number): Promise<void> {
    for (const p of [...this.pending.values()]) {
      const view = await this.proposalStore.get(p.matchId);
      const decided = view ? (view.outcome ?? decideProposal(view, nowMs)) : "timeout";
      if (!decided) continue;
      this.pending.delete(p.matchId);
      const outcome = view ? await this.proposalStore.settle(p.matchId, decided) : undefined;
      this.deps.metrics.proposals.inc({ mode: p.mode.rules.name, outcome: outcome ?? "timeout" });
      if (outcome === "accepted") {
        const claimed = await Promise.all(p.handles.map((h) => this.tickets.accept(h, this.deps.now())));
        this.deps.logger.info({ matchId: p.matchId, mode: p.mode.rules.name }, "proposal accepted by every player");
        await this.provisionFormed(p.mode, p.match, p.matchId, claimed, p.formedAt);
        continue;
      }
      for (const h of p.handles) await this.dropProposal(h, view, outcome ?? "timeout");
    }
  }

  /**
   * One ticket of a dropped proposal: its players who declined (or, at the deadline, did not accept)
   * lose the ticket and get the mode's cooldown; a ticket none of whose players is at fault waits
   * again with its original enqueue time. `view` undefined: the proposal is gone from the store (its
   * answers unknown): nobody is blamed. Idempotent (the lifecycle checks the ticket is still this
   * proposal's), so the leader and a queue room may both apply it.
   */
  async dropProposal(h: TicketHandle, view: ProposalView | undefined, outcome: ProposalOutcome): Promise<"withdrawn" | "declined" | "gone"> {
    if (outcome === "accepted") return "gone"; // not dropped: the leader provisions it
    const rules = this.modes[h.ticket.mode]?.rules;
    const now = this.deps.now();
    const fault = view ? atFault(view, outcome, h.ticket.playerIds) : [];
    if (!fault.length) {
      if (!(await this.tickets.withdraw(h, now))) return "gone";
      this.deps.metrics.requeues.inc({ mode: h.ticket.mode, reason: outcome === "declined" ? "proposal-declined" : "proposal-timeout" });
      await this.deps.bus.publish(seatTopic(h.ticket.id), { kind: "requeued", reason: `proposal-${outcome}` } satisfies SeatNotice);
      return "withdrawn";
    }
    await this.proposalStore.cooldown(fault, now + (rules?.declineCooldownS ?? DEFAULT_DECLINE_COOLDOWN_S) * 1000, now);
    await this.tickets.decline(h);
    const reason = outcome === "declined" ? "PROPOSAL_DECLINED" : "PROPOSAL_TIMEOUT";
    await this.deps.bus.publish(seatTopic(h.ticket.id), { kind: "dropped", matchId: h.matchId ?? "", reason } satisfies SeatNotice);
    this.deps.logger.info({ ticketId: h.ticket.id, matchId: h.matchId, reason, cooldown: fault.length }, "proposal dropped; ticket ended");
    return "declined";
  }

  /**
   * A queue room holding a proposed ticket whose deadline is `PROPOSAL_FALLBACK_MS` past and that
   * heard nothing: its leader may be dead. It settles the proposal (a timeout, unless it was settled
   * already) and applies the outcome to its own ticket. Returns what the room should hold now:
   * `searching` (the ticket waits again, or it is gone from the store and the room's next sync writes
   * it back), `cancelled` (its players were at fault), or `wait` (everyone accepted: the leader provisions).
   */
  async settleProposalFor(h: TicketHandle): Promise<"searching" | "cancelled" | "wait"> {
    const now = this.deps.now();
    const view = await this.proposalStore.get(h.matchId ?? "");
    const outcome = view ? await this.proposalStore.settle(view.matchId, view.outcome ?? decideProposal(view, now) ?? "timeout") : "timeout";
    if (outcome === "accepted" || outcome === undefined) {
      // accepted: the leader provisions; if the ticket vanished (its leader died and was reaped) it waits again
      return outcome === "accepted" && (await this.tickets.stored(h.ticket.id)) ? "wait" : "searching";
    }
    const done = await this.dropProposal(h, view, outcome);
    return done === "declined" ? "cancelled" : "searching";
  }

  /** Until when a player may not queue (a declined or missed proposal), or null. */
  async cooldownOf(playerId: string): Promise<number | null> {
    return this.proposalStore.cooldownUntil(playerId, this.deps.now());
  }

  /**
   * A match room's open seats changed (called on the room's node; rooms/match-room.ts): the opening
   * goes to the store of its (mode, shard) with the server's ratings of the players in it now, or is
   * withdrawn when nothing is open. One match's writes are applied in the order the room made them.
   */
  async backfillOpening(opening: BackfillOpening): Promise<void> {
    const rules = this.modes[opening.mode]?.rules;
    if (!rules?.backfill) return;
    const key = shardKey(rules.name, shardOf(rules, opening.region));
    const write = async () => {
      if (!opening.teams.some((t) => t.open > 0)) {
        this.openingRatings.delete(opening.matchId);
        return this.backfillStore.remove(key, opening.matchId);
      }
      // the room writes its opening again every few seconds while open: only newcomers' ratings are read
      const known = this.openingRatings.get(opening.matchId) ?? new Map<string, number>();
      const ratingOf = async (id: string) => known.get(id) ?? this.deps.ratingOf(id, rules.name).then((r) => (known.set(id, r), r));
      const ratings = await Promise.all(opening.teams.map((t) => Promise.all(t.players.map(ratingOf))));
      this.openingRatings.set(opening.matchId, known);
      await this.backfillStore.put(key, { ...opening, ratings }, opening.untilMs - this.deps.now() + BACKFILL_KEY_GRACE_MS);
    };
    const prev = this.openingWrites.get(opening.matchId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(write);
    this.openingWrites.set(opening.matchId, next);
    try {
      await next;
    } finally {
      if (this.openingWrites.get(opening.matchId) === next) this.openingWrites.delete(opening.matchId);
    }
  }

  /**
   * The leader's backfill step: the shard's openings (those past `untilMs` removed), filled from the
   * pool by `fillBackfills`, each fill claimed (fenced, the match's id) and seated. Returns the ids of
   * the tickets it claimed: the pass that forms new matches leaves them out.
   */
  private async backfill(mode: QueueMode, grant: LeaseGrant, nowMs: number, shard: string, pool: readonly Ticket[]): Promise<Set<string>> {
    const rules = mode.rules;
    const key = shardKey(rules.name, shard);
    const taken = new Set<string>();
    // nobody waiting: nothing to fill (stale openings expire with the hash, or go at the next read)
    if (!pool.length) return taken;
    const requests: BackfillRequest[] = [];
    for (const r of await this.backfillStore.list(key)) {
      if (r.untilMs > nowMs) requests.push(r);
      else await this.backfillStore.remove(key, r.matchId); // too old to be worth joining (its room withdraws it too)
    }
    if (!requests.length) return taken;
    const { fills } = fillBackfills(requests, pool, nowMs, rules);
    await Promise.all(fills.map(async (fill) => {
      if (await this.seatBackfill(mode, fill, grant, nowMs, shard)) for (const p of fill.picks) taken.add(p.ticket.id);
    }));
    return taken;
  }

  /**
   * Seat one fill: find its room (a match that is gone, or whose host is dead in the registry, loses
   * its opening), claim the tickets (fenced, all or nothing, with the match's id), ask the room to admit
   * them (it checks its seats are still open), then seat, reserve and tell the queue rooms, as for a new
   * match. False: nothing was claimed. A room that refuses or does not answer puts the tickets back
   * with their original enqueue time.
   */
  private async seatBackfill(mode: QueueMode, fill: BackfillFill, grant: LeaseGrant, nowMs: number, shard: string): Promise<boolean> {
    const rules = mode.rules;
    const { request } = fill;
    const { rooms, logger, metrics } = this.deps;
    // the room first: a match that is gone (ended, or its node died) loses its opening and takes nobody
    const listing = rooms.findMatch ? await rooms.findMatch(request.matchId).catch(() => undefined) : null;
    if (listing === undefined) return false; // no answer: try again next pass
    const hostDead = !!listing && await this.nodeDead(listing.processId);
    if (!listing || listing.roomId !== request.roomId || hostDead || !rooms.admitBackfill) {
      await this.backfillStore.remove(shardKey(rules.name, shard), request.matchId);
      logger.info({ matchId: request.matchId, hostDead }, "backfill opening dropped: its match is gone");
      return false;
    }
    const handles: TicketHandle[] = fill.picks.map((p) => ({ ticket: p.ticket, phase: TicketPhase.searching, shard }));
    const { result, claimed } = await this.tickets.claim(handles, rules.name, shard, request.matchId, grant.token, nowMs, this.holder);
    if (!result.ok) return false;
    const seats = await this.seatsFor(fill.picks.map((p) => p.ticket));
    const teamOf = new Map(fill.picks.map((p) => [p.ticket, p.team]));
    const players: BackfillAdmission["players"] = seats.map((s) => ({ playerId: s.playerId, name: s.name, team: teamOf.get(s.ticket)! }));
    const admitted = await rooms.admitBackfill(listing.roomId, { players }).catch((err: unknown) => {
      logger.warn({ err, matchId: request.matchId }, "backfill: the match room did not answer");
      return false;
    });
    if (!admitted) {
      await this.requeue(rules.name, claimed, "backfill-refused");
      return true;
    }
    try {
      await this.reserveSeats(listing, seats);
    } catch (err) {
      // the room's admission lapses after its connect timeout and the seats open again
      logger.warn({ err, matchId: request.matchId }, "backfill seats not reserved; tickets re-queued");
      await this.requeue(rules.name, claimed, "reserve-failed");
      return true;
    }
    await this.sendSeats(listing, request.matchId, seats);
    for (const p of fill.picks) metrics.timeToMatch.observe({ mode: rules.name, region: p.ticket.region }, Math.max(0, nowMs - p.ticket.enqueuedAt) / 1000);
    // the host owns the records once the seats are out (as in `provision`: a leader dying before that leaves them its own, for the reaper)
    await Promise.all(claimed.map((h) => this.tickets.seat(h, listing.processId, this.deps.now())));
    metrics.backfillSeats.inc({ mode: rules.name }, players.length);
    metrics.backfillFill.observe({ mode: rules.name }, Math.max(0, nowMs - request.openedAt) / 1000);
    logger.info({ matchId: request.matchId, mode: rules.name, players: players.length, teams: fill.picks.map((p) => p.team), gap: Math.round(fill.ratingGap * 10) / 10, openS: Math.round((nowMs - request.openedAt) / 100) / 10 }, "backfill seated");
    return true;
  }

  /** One seat per player of `tickets` (a new session id; the name from the player's record). */
  private async seatsFor(tickets: readonly Ticket[]): Promise<Seat[]> {
    const recs = await this.deps.players.getMany(tickets.flatMap((t) => t.playerIds));
    const seats: Seat[] = [];
    for (const ticket of tickets) {
      for (const playerId of ticket.playerIds) seats.push({ ticket, playerId, sessionId: this.deps.rooms.newSessionId(), name: recs[seats.length]?.name ?? playerId });
    }
    return seats;
  }

  /** Reserve every seat in the room, all or nothing (throws SEAT_RESERVATION_FAILED otherwise). */
  private async reserveSeats(listing: { roomId: string; processId: string }, seats: readonly Seat[]): Promise<void> {
    const ok = await this.deps.rooms.reserveMultipleSeatsFor(listing, seats.map((s) => ({ sessionId: s.sessionId, options: {}, auth: { playerId: s.playerId, name: s.name } })));
    if (ok.length !== seats.length || !ok.every(Boolean)) throw new Error("SEAT_RESERVATION_FAILED: not every seat could be reserved");
  }

  /** A `seat` notice per ticket, to the queue room holding it: its players' reservations. */
  private async sendSeats(listing: { roomId: string; processId: string }, matchId: string, seats: readonly Seat[]): Promise<void> {
    const byTicket = new Map<Ticket, Seat[]>();
    for (const s of seats) byTicket.set(s.ticket, [...(byTicket.get(s.ticket) ?? []), s]);
    for (const [ticket, mine] of byTicket) {
      const notice: SeatNotice = { kind: "seat", matchId, seats: Object.fromEntries(mine.map((s) => [s.playerId, this.deps.rooms.buildSeatReservation(listing, s.sessionId)])) };
      await this.deps.bus.publish(seatTopic(ticket.id), notice);
    }
  }

  private async provision(mode: QueueMode, match: Match, matchId: string, claimed: readonly TicketHandle[]): Promise<boolean> {
    const rules = mode.rules;
    const tickets = claimed.map((h) => h.ticket);
    const { rooms } = this.deps;
    let listing: { roomId: string; processId: string };
    try {
      listing = await rooms.createRoom(mode.room, {
        matchId,
        mode: rules.name,
        region: match.region,
        teams: match.teams.map((t) => t.tickets.flatMap((tk) => tk.playerIds)),
        bots: match.teams.map((t) => t.bots),
        noShow: rules.bots === false ? "requeue" : "bots",
        minPlayers: rules.minPlayers,
        connectTimeoutS: this.connectTimeoutS(rules.name),
        // what the mode's attribute rules made common (e.g. the maps every player accepts)
        ...(match.attributes ? { attributes: match.attributes } : {}),
        ...(rules.backfill ? { backfill: { untilS: rules.backfill.untilS } } : {}),
      });
    } catch (err) {
      // placement's refusal arrives as a ServerError here, a remote create's failure as its text alone (IPC)
      const reason = decodeRefusal(err).code === "NO_NODE_AVAILABLE" ? "no-node" : "create-failed";
      this.deps.logger.warn({ err, matchId, region: match.region, reason }, "match room not created; tickets re-queued");
      await this.requeue(rules.name, claimed, reason);
      return false;
    }
    const seats = await this.seatsFor(tickets);
    try {
      await this.reserveSeats(listing, seats);
    } catch (err) {
      this.deps.logger.warn({ err, matchId, roomId: listing.roomId }, "seats not reserved; room closed, tickets re-queued");
      await rooms.disposeRoom(listing.roomId).catch(() => undefined);
      await this.requeue(rules.name, claimed, "reserve-failed");
      return false;
    }
    await this.sendSeats(listing, matchId, seats);
    // The host owns these keys from now on: its match end releases them, the reaper does if it dies.
    // Only once the seats are out: until then the records name this leader, so if it dies mid-way
    // the reaper releases them (their queue rooms write the tickets back) instead of leaving them
    // on a live host with seats nobody handed out until the room's connect timeout.
    await Promise.all(claimed.map((h) => this.tickets.seat(h, listing.processId, this.deps.now())));
    return true;
  }

  /** Matched tickets back to waiting, original enqueue time kept; their queue rooms are told. */
  private async requeue(mode: string, handles: readonly TicketHandle[], reason: string): Promise<void> {
    const now = this.deps.now();
    for (const h of handles) {
      const t = h.ticket;
      if (await this.tickets.requeue(h, now)) {
        this.deps.metrics.requeues.inc({ mode, reason });
        if (CAPACITY_REASONS.has(reason)) {
          const key = shardKey(mode, h.shard);
          this.starved.set(key, (this.starved.get(key) ?? new Set()).add(t.id));
        }
        await this.deps.bus.publish(seatTopic(t.id), { kind: "requeued", reason } satisfies SeatNotice);
      }
    }
  }

  /**
   * A matchmade room's connect timeout fired with players missing (called on the room's node).
   * Missing players lose their tickets; with `requeue`, present players' tickets wait for them to
   * come back to the queue (their rejoin resumes the ticket with its original enqueue time).
   */
  async noShow(report: NoShowReport): Promise<void> {
    const now = this.deps.now();
    const byTicket = new Map<string, { present: string[]; missing: string[] }>();
    for (const [list, key] of [[report.present, "present"], [report.missing, "missing"]] as const) {
      for (const playerId of list) {
        const rec = await this.deps.players.get(playerId);
        if (!rec || rec.matchId !== report.matchId) continue;
        const entry = byTicket.get(rec.ticketId) ?? { present: [], missing: [] };
        entry[key].push(playerId);
        byTicket.set(rec.ticketId, entry);
      }
    }
    for (const [ticketId, who] of byTicket) {
      const outcome = noShowOutcome(who.present.length, who.missing.length, report.requeue);
      const stored = await this.tickets.stored(ticketId);
      if (!stored) {
        // the ticket is gone already (expired, reaped): only the records are left to drop
        for (const id of outcome === "play" ? who.missing : [...who.missing, ...who.present]) await this.tickets.forget(id, ticketId);
        continue;
      }
      const h = handleOf(stored, TicketPhase.seated);
      if (outcome === "play") { if (who.missing.length) await this.tickets.release(h, who.missing); continue; } // bots seated: the present ones play; their records go at the match's end
      if (outcome === "drop") { await this.tickets.finish(h, [...who.missing, ...who.present]); continue; }
      // the ticket waits for them as long as a dropped queue connection would: then it is gone
      await this.tickets.release(h, who.missing);
      await this.tickets.sendBack(h, who.present, this.requeueTtlMs, now);
      this.deps.metrics.requeues.inc({ mode: report.mode, reason: "no-show" });
    }
    this.deps.logger.info({ matchId: report.matchId, present: report.present.length, missing: report.missing.length, requeue: report.requeue }, "match no-show handled");
  }

  /**
   * A match reported its result: its players may queue again (their ticket is gone once none of them
   * holds it). Records are read at once and tickets handled concurrently: a finished match frees its
   * players in a few round trips, whatever its size.
   */
  async matchEnded(result: { matchId: string; players: ReadonlyArray<{ playerId: string }> }): Promise<void> {
    const ids = result.players.map((p) => p.playerId);
    const records = ids.length ? await this.deps.players.getMany(ids) : [];
    const byTicket = new Map<string, string[]>();
    records.forEach((rec, k) => {
      if (!rec || rec.matchId !== result.matchId) return;
      byTicket.set(rec.ticketId, [...(byTicket.get(rec.ticketId) ?? []), ids[k]!]);
    });
    await Promise.all([...byTicket].map(async ([ticketId, playerIds]) => {
      const stored = await this.tickets.stored(ticketId);
      if (!stored || stored.state !== TicketState.matched || stored.matchId !== result.matchId) {
        for (const id of playerIds) await this.tickets.forget(id, ticketId);
        return;
      }
      const h = handleOf(stored, TicketPhase.seated);
      await this.tickets.release(h, playerIds);
      // every player of the ticket released: forget it
      const left = await this.deps.players.getMany(stored.ticket.playerIds);
      if (!left.some((r) => r?.ticketId === ticketId)) await this.tickets.finish(h, [], result.matchId);
    }));
  }

  /**
   * Nodes found dead (server/registry's reaper, one node at a time by lease): the players of matches
   * they hosted, or were provisioning as matcher leader, lose their records and matched tickets, so
   * they can queue again at once (a queue room still holding such a ticket writes it back as waiting,
   * with its original enqueue time, at its next heartbeat, as after a Redis data loss). Players
   * queued on a dead node keep theirs: a rejoin elsewhere resumes the ticket (`blocking`), and the
   * orphan sweep cancels it if nobody comes back. A matched record still naming a dead queue node
   * was never confirmed (`confirm` clears it): its seat went to that node's queue room and never
   * reaches the player, who is released too (a player seated after `confirm` no longer names it).
   * Idempotent. Returns the records released.
   */
  async releaseDeadNodes(nodeIds: readonly string[]): Promise<number> {
    const dead = new Set(nodeIds);
    if (!dead.size) return 0;
    const found: PlayerRecord[] = [];
    for await (const page of this.deps.players.scan()) {
      for (const r of page) {
        if ((r.host && dead.has(r.host)) || (r.node && dead.has(r.node) && r.state === PlayerQueueState.matched)) found.push(r);
      }
    }
    const tickets = new Map<string, { matchId?: string; players: string[]; requeued: boolean }>();
    for (const r of found) {
      const e = tickets.get(r.ticketId) ?? { matchId: r.matchId, players: [], requeued: false };
      e.players.push(r.playerId);
      if (r.state === PlayerQueueState.requeue) e.requeued = true;
      tickets.set(r.ticketId, e);
    }
    for (const [ticketId, e] of tickets) {
      const stored = await this.tickets.stored(ticketId);
      if (!stored || stored.state === TicketState.cancelled) {
        for (const id of e.players) await this.tickets.forget(id, ticketId);
        continue;
      }
      await this.tickets.finish(handleOf(stored, e.requeued ? TicketPhase.requeued : TicketPhase.seated), e.players, e.matchId);
    }
    if (found.length) this.deps.logger.info({ nodes: [...dead], players: found.length, tickets: tickets.size }, "players of dead nodes released");
    return found.length;
  }

  /**
   * The live match `playerId` belongs to (null: none). Read from the player's record (matchId, host)
   * and the room's listing; the room adds its view of the seat (team, held or not, until when). A
   * match whose host or listed node is dead in the registry, or whose room is gone past the
   * provisioning window, is over: the player's part of the ticket is finished (lifecycle `finish`)
   * and null is answered at once, so the player may queue again. A match still being provisioned (no
   * room yet) answers null too: its seat comes over the queue connection.
   */
  async currentMatch(playerId: string): Promise<CurrentMatch | null> {
    return (await this.liveMatch(playerId))?.match ?? null;
  }

  /**
   * A seat handed out for `playerId` that never reached it: the record is matched but still names a
   * queue node (the queue room clears it on `confirm`) and the match room still holds the unused
   * reservation. The player is queueing again (its queue connection is gone, e.g. with its node, or a
   * seat notice came after it left): the queue room hands this reservation over on the new connection
   * instead of refusing the join (MM_ALREADY_IN_MATCH) until the room's connect timeout, while the
   * match's other players wait for this one. Null otherwise (and when rejoin is off).
   */
  async undeliveredSeat(playerId: string, known?: PlayerStanding | null): Promise<{ ticketId: string; reservation: SeatReservation } | null> {
    const { rooms } = this.deps;
    if (!rooms.findMatch || !rooms.heldSeat) return null;
    const standing = known !== undefined ? known : await this.tickets.standing(playerId);
    const rec = standing?.record;
    if (!rec || !standing.stored || rec.state !== PlayerQueueState.matched || !rec.matchId || !rec.node) return null;
    const listing = await rooms.findMatch(rec.matchId).catch(() => null);
    // a room on a dead node would hold this join for the remote call's timeout: not asked
    if (!listing || await this.nodeDead(listing.processId)) return null;
    const seat = await rooms.heldSeat(listing.roomId, playerId).catch(() => null);
    if (!seat?.sessionId || seat.reconnectionToken) return null;
    return { ticketId: rec.ticketId, reservation: rooms.buildSeatReservation(listing, seat.sessionId) };
  }

  /**
   * How `playerId` takes its seat back (`POST /v1/matches/current/seat`): the reconnection token of
   * its held seat, or its unused seat reservation. The caller verified the player's access token; the
   * room guard checks it again on the reconnection. Throws RallyError MM_NOT_IN_MATCH (no live match)
   * or MM_SEAT_NOT_HELD (the match no longer keeps the seat).
   */
  async rejoinSeat(playerId: string): Promise<RejoinResponse> {
    const live = await this.liveMatch(playerId);
    if (!live) throw new RallyError("MM_NOT_IN_MATCH");
    const { match, listing, seat } = live;
    if (seat?.reconnectionToken) return { match, seat: { kind: "reconnect", reconnectionToken: `${listing.roomId}:${seat.reconnectionToken}` } };
    if (seat?.sessionId) return { match, seat: { kind: "reservation", reservation: this.deps.rooms.buildSeatReservation(listing, seat.sessionId) } };
    throw new RallyError("MM_SEAT_NOT_HELD");
  }

  private async liveMatch(playerId: string): Promise<{ match: CurrentMatch; listing: MatchListing; seat: HeldSeat | null } | null> {
    const standing = await this.tickets.standing(playerId);
    if (!standing || standing.record.state !== PlayerQueueState.matched || !standing.stored || standing.phase === TicketPhase.cancelled) return null;
    const found = await this.matchOf(playerId, standing.record, standing.stored);
    if (!found?.listing) return null;
    const matchId = standing.record.matchId!;
    const { rooms, logger } = this.deps;
    const seat = rooms.heldSeat ? await rooms.heldSeat(found.listing.roomId, playerId).catch((err: unknown) => {
      logger.warn({ err, matchId, roomId: found.listing!.roomId }, "rejoin: the match room did not answer for its seat");
      return undefined;
    }) : undefined;
    return { match: this.describe(matchId, found.listing, seat), listing: found.listing, seat: seat ?? null };
  }

  /** The match as a client sees it: the listing, and the room's view of the player's seat (undefined: not asked, or no answer). */
  private describe(matchId: string, listing: MatchListing, seat: HeldSeat | null | undefined): CurrentMatch {
    return {
      matchId, roomId: listing.roomId, roomName: listing.name, processId: listing.processId, mode: listing.mode,
      ...(seat === undefined ? {} : { seatHeld: seat !== null }),
      ...(seat ? { team: seat.team } : {}),
      ...(seat?.heldUntil !== undefined ? { seatHeldUntil: seat.heldUntil } : {}),
    };
  }

  /**
   * A matched record's match: `{ listing }` while it lives (listing null: alive, but being
   * provisioned or no listing lookup), null once it is over (host or listed node dead, room gone past
   * the provisioning window): then the player's part of the ticket is finished here.
   */
  private async matchOf(playerId: string, rec: PlayerRecord, stored: StoredTicket): Promise<{ listing: MatchListing | null } | null> {
    const over = () => this.tickets.finish(handleOf(stored, TicketPhase.seated), [playerId], rec.matchId).catch(() => undefined).then(() => null);
    // a match whose host node is dead is over, even before the reaper removed its listing
    if (await this.nodeDead(rec.host)) return over();
    // a matched record still naming its queue node was never confirmed (the queue room clears it on
    // `confirm`): that node is dead, so its seat went to a connection that is gone and never reaches the player
    if (await this.nodeDead(rec.node)) return over();
    const { rooms } = this.deps;
    if (rec.matchId && rooms.findMatch) {
      const listing = await rooms.findMatch(rec.matchId);
      if (listing) return (await this.nodeDead(listing.processId)) ? over() : { listing };
    } else if (rec.matchId && await rooms.matchAlive(rec.matchId)) {
      return { listing: null };
    }
    if (this.deps.now() - rec.at < PROVISION_WINDOW_MS) return { listing: null };
    return over();
  }

  /**
   * Is the record blocking a new queue join for `playerId` still valid? Stale records (cancelled
   * tickets, dead queue connections, matches whose room is gone) are cleared and return null.
   */
  async blocking(playerId: string, known?: PlayerStanding | null): Promise<{ code: "MM_ALREADY_QUEUED"; ticketId: string } | { code: "MM_ALREADY_IN_MATCH"; ticketId: string; match: CurrentMatch | null } | { code: "resume"; ticketId: string } | null> {
    const standing = known !== undefined ? known : await this.tickets.standing(playerId);
    if (!standing) return null;
    const { record: rec, stored, phase } = standing;
    const now = this.deps.now();
    const clear = async () => {
      await this.tickets.forget(playerId, rec.ticketId);
      return null;
    };
    if (!stored || phase === TicketPhase.cancelled) return clear();
    if (phase === TicketPhase.requeued) return { code: "resume", ticketId: rec.ticketId };
    if (rec.state === PlayerQueueState.queued) {
      if (phase === TicketPhase.searching && await this.queueHolderGone(rec, now)) return { code: "resume", ticketId: rec.ticketId };
      return { code: "MM_ALREADY_QUEUED", ticketId: rec.ticketId };
    }
    // a proposal still waiting for answers (modes with acceptS): the player is still queueing
    if (rec.matchId) {
      const p = await this.proposalStore.get(rec.matchId);
      if (p && !p.outcome && now < p.deadlineMs + PROPOSAL_GRACE_MS) return { code: "MM_ALREADY_QUEUED", ticketId: rec.ticketId };
    }
    // matched: in a live match (the refusal tells where it is, so the client can go back), or over.
    // The listing's facts only: no call to the room on this path (a room on a node that died but is not
    // yet out of the registry would hold every refused join for the remote call's timeout).
    const found = await this.matchOf(playerId, rec, stored);
    if (!found) return null;
    const match = found.listing && rec.matchId ? this.describe(rec.matchId, found.listing, undefined) : null;
    return { code: "MM_ALREADY_IN_MATCH", ticketId: rec.ticketId, match };
  }

  /**
   * Is the queue connection holding this queued record gone? Its node is dead in the registry (at
   * once: the registry's TTL is a few seconds), or the record missed its heartbeats for
   * `STALE_QUEUE_MS` (a node that is alive but lost the room, or no registry answer).
   */
  private async queueHolderGone(rec: { node?: string; at: number }, now: number): Promise<boolean> {
    return now - rec.at >= STALE_QUEUE_MS || this.nodeDead(rec.node);
  }

  /**
   * Is `node` dead in the node registry? Never this node, and not without a registry or its answer
   * (an unanswered question keeps what is: nothing is released on a registry error).
   */
  private async nodeDead(node: string | undefined): Promise<boolean> {
    if (!node || node === this.holder || !this.deps.nodeAlive) return false;
    return (await this.deps.nodeAlive(node).catch(() => true)) === false;
  }

  /** Home region: the lowest-latency region the cluster knows, else this node's. */
  async homeRegion(latencies: Readonly<Record<string, number>>): Promise<string> {
    const known = new Set(await this.deps.knownRegions().catch(() => []));
    known.add(this.deps.region);
    let best: string | null = null;
    for (const [region, ms] of Object.entries(latencies)) {
      if (!known.has(region)) continue;
      if (best === null || ms < latencies[best] || (ms === latencies[best] && region === this.deps.region)) best = region;
    }
    return best ?? this.deps.region;
  }

  /** Only latencies to regions the cluster knows are kept (bounded, never trusted for anything else). */
  async knownLatencies(latencies: Readonly<Record<string, number>>): Promise<Record<string, number>> {
    const known = new Set(await this.deps.knownRegions().catch(() => []));
    known.add(this.deps.region);
    return Object.fromEntries(Object.entries(latencies).filter(([r]) => known.has(r)));
  }

  /** What a waiting ticket's `status` says: windows now, and an estimate from recent time-to-match. */
  status(ticket: Ticket, nowMs: number): { waitedMs: number; estimatedWaitMs: number | null; estimateBasis: number; skillWindow: number; regions: string[] } & WaitOutlook {
    const rules = this.modes[ticket.mode]!.rules;
    const waitedMs = Math.max(0, nowMs - ticket.enqueuedAt);
    const w = waitedMs / 1000;
    const regions = regionsAt(rules, ticket, w);
    const est = this.estimates[`${ticket.mode}|${ticket.region}`];
    let estimatedWaitMs: number | null = null;
    if (est && est.n >= 3) {
      // remaining time for a typical ticket: median first; once past it, the 90th percentile; beyond that, unknown
      if (waitedMs < est.p50) estimatedWaitMs = est.p50 - waitedMs;
      else if (waitedMs < est.p90) estimatedWaitMs = est.p90 - waitedMs;
    }
    return { waitedMs, estimatedWaitMs, estimateBasis: est?.n ?? 0, skillWindow: Math.round(windowAt(rules.skillWindow, w)), regions, ...waitOutlook(rules, ticket, w) };
  }

  private clearWaitingGauge(key: string, mode: string): void {
    const g = this.deps.metrics.ticketsWaiting;
    for (const region of this.gaugeRegions.get(key) ?? []) g.remove({ mode, region });
    this.gaugeRegions.delete(key);
  }

  /**
   * The leader of (mode, shard) publishes only its shard's regions: the waiting gauge, the oldest
   * wait per region (`rally:mm:oldest-wait:by-mode` field `mode|region`, and `rally:mm:oldest-wait`
   * region -> max over modes) and recent time-to-match. A region belongs to one shard per mode, so
   * every field has one writer; leaders of other shards never zero it.
   */
  private async publishWaiting(rules: ModeRules, shard: string, waiting: readonly Ticket[], nowMs: number): Promise<void> {
    const mode = rules.name;
    const byRegion = new Map<string, { n: number; oldest: number }>();
    for (const t of waiting) {
      const e = byRegion.get(t.region) ?? { n: 0, oldest: 0 };
      e.n++;
      e.oldest = Math.max(e.oldest, (nowMs - t.enqueuedAt) / 1000);
      byRegion.set(t.region, e);
    }
    const key = shardKey(mode, shard);
    const g = this.deps.metrics.ticketsWaiting;
    const before = this.gaugeRegions.get(key);
    for (const region of before ?? []) if (!byRegion.has(region)) g.remove({ mode, region });
    for (const [region, e] of byRegion) g.set({ mode, region }, e.n);
    this.gaugeRegions.set(key, new Set(byRegion.keys()));
    const { bus } = this.deps;
    const candidates = [this.deps.region, ...byRegion.keys(), ...(rules.shards?.[shard] ?? []), ...(await this.deps.knownRegions().catch(() => []))];
    const regions = new Set(candidates.filter((r) => shardOf(rules, r) === shard));
    for (const region of regions) await bus.hset(OLDEST_BY_MODE_KEY, `${mode}|${region}`, String(Math.round((byRegion.get(region)?.oldest ?? 0) * 10) / 10));
    // the pool manager reads region -> seconds: the oldest over every mode (for this shard's regions only)
    const all = (await bus.hgetall(OLDEST_BY_MODE_KEY)) ?? {};
    const max = new Map<string, number>();
    for (const [field, v] of Object.entries(all)) {
      const region = field.slice(field.indexOf("|") + 1);
      if (regions.has(region)) max.set(region, Math.max(max.get(region) ?? 0, Number(v) || 0));
    }
    for (const [region, s] of max) await bus.hset(OLDEST_WAIT_KEY, region, String(s));
    for (const [k, list] of this.recent) {
      if (!k.startsWith(`${mode}|`) || !list.length || !regions.has(k.slice(mode.length + 1))) continue;
      const sorted = [...list].sort((a, b) => a - b);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
      await bus.hset(TTM_KEY, k, JSON.stringify({ p50: q(0.5), p90: q(0.9), n: sorted.length }));
    }
  }

  /**
   * The oldest wait, per region of this shard, of tickets still waiting whose match found no node
   * (`rally:mm:capacity-wait:by-mode` field `mode|region`, and `rally:mm:capacity-wait` region -> max
   * over modes): the pool manager's queue-time trigger. 0 when none: a queue that lacks players asks
   * for no capacity. A ticket leaves the set once it is no longer waiting (seated, left).
   */
  private async publishCapacityWait(rules: ModeRules, shard: string, pool: readonly Ticket[], nowMs: number): Promise<void> {
    const mode = rules.name;
    const key = shardKey(mode, shard);
    const ids = this.starved.get(key) ?? new Set<string>();
    const listed = new Set(pool.map((t) => t.id));
    for (const id of ids) if (!listed.has(id)) ids.delete(id);
    // tickets requeued by this very pass are not in `pool` yet: they were listed, so they stay
    const oldest = new Map<string, number>();
    for (const t of pool) if (ids.has(t.id)) oldest.set(t.region, Math.max(oldest.get(t.region) ?? 0, (nowMs - t.enqueuedAt) / 1000));
    // only regions with a starved ticket now or at the last write (a 0 replaces the old figure once)
    const { bus } = this.deps;
    const prev = this.capacityRegions.get(key);
    const touched = new Set([...oldest.keys(), ...(prev ?? [])]);
    if (!prev) {
      // newly leading this shard: zero what a previous leader left (its memory of starved tickets is gone)
      for (const [field, v] of Object.entries((await bus.hgetall(CAPACITY_BY_MODE_KEY)) ?? {})) {
        const region = field.slice(mode.length + 1);
        if (field.startsWith(`${mode}|`) && Number(v) > 0 && shardOf(rules, region) === shard) touched.add(region);
      }
    }
    this.capacityRegions.set(key, new Set(oldest.keys()));
    if (!touched.size) return;
    for (const region of touched) await bus.hset(CAPACITY_BY_MODE_KEY, `${mode}|${region}`, String(Math.round((oldest.get(region) ?? 0) * 10) / 10));
    const all = (await bus.hgetall(CAPACITY_BY_MODE_KEY)) ?? {};
    const max = new Map<string, number>();
    for (const [field, v] of Object.entries(all)) {
      const region = field.slice(field.indexOf("|") + 1);
      if (touched.has(region)) max.set(region, Math.max(max.get(region) ?? 0, Number(v) || 0));
    }
    for (const [region, s] of max) await bus.hset(CAPACITY_WAIT_KEY, region, String(s));
  }

  async refreshEstimates(): Promise<void> {
    try {
      const raw = (await this.deps.bus.hgetall(TTM_KEY)) ?? {};
      const out: typeof this.estimates = {};
      for (const [k, v] of Object.entries(raw)) {
        try { out[k] = JSON.parse(v); } catch { /* skip */ }
      }
      this.estimates = out;
    } catch { /* keep the last */ }
  }
}
