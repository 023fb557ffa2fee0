/**
 * The one owner of a ticket's life: every transition (queued, searching, claimed, seated, requeued,
 * done, cancelled) is one guarded method here that writes the TicketStore and the PlayerIndex
 * together. The queue room and the service call these methods; nothing else writes either store.
 *
 * Vocabulary: `TicketPhase` is the lifecycle's word for where a ticket is. The stores keep their
 * own encodings (`TicketState` in the ticket store, `PlayerQueueState` in player records: both are
 * what Redis holds, so they cannot change without a migration); `phaseOf` is the one place that
 * reads a phase from them, and `statusStateOf` the one place that turns a phase into the `status`
 * message's `state`.
 *
 * `claimed` (the leader provisions the match) and `seated` (the room exists and owns the records)
 * look the same in the stores (ticket `matched`, records `matched`): only the provisioning leader
 * holds a ticket as `claimed`, between `claim` and `seat`; every other reader sees `seated`.
 *
 * Guards: each method checks the caller's handle against `TICKET_TRANSITIONS` and throws a
 * `TicketLifecycleError` (`MM_ILLEGAL_TRANSITION`) for a transition the map does not allow. Races
 * between processes (a ticket claimed while its player leaves) are decided by the stores' atomic
 * operations as before (claim only takes waiting tickets, cancel only a waiting one, requeue only a
 * matched one): such a loss is a result (`false`), not an error.
 */
import type { ClaimResult, StoredTicket, TicketStore } from "./ticket-store.ts";
import { isRallyError, RallyError, type CurrentMatch } from "../protocol/index.ts";
import { TicketState, type Ticket } from "./ticket.ts";
import { PlayerQueueState, type PlayerIndex, type PlayerRecord } from "./player-index.ts";
import { ticketShard, type ModeRules } from "./rules.ts";

export const TicketPhase = {
  /** its players' records are taken (all or nothing); the ticket is not listed yet */
  queued: "queued",
  /** listed in its (mode, shard)'s waiting list: the matcher may take it */
  searching: "searching",
  /** taken by a match the leader is provisioning (stores: matched) */
  claimed: "claimed",
  /** taken by a match that waits for every player's `accept` (modes with `acceptS`; stores: matched) */
  proposed: "proposed",
  /** its match room exists and owns the records (host); seats were handed out */
  seated: "seated",
  /** its match fell through (no-show): the present players' rejoin resumes it; it expires after the queue grace */
  requeued: "requeued",
  /** its match ended (or its host died): records released, ticket removed */
  done: "done",
  /** left before any match (player left, orphaned, replaced): records released, ticket removed */
  cancelled: "cancelled",
} as const;
export type TicketPhase = typeof TicketPhase[keyof typeof TicketPhase];

const P = TicketPhase;

/**
 * Every transition: the phases it may start from and the phase it leads to. `queue` starts a
 * ticket (no phase yet), so it is refused from every phase a known ticket can be in.
 */
export const TICKET_TRANSITIONS = {
  /** take the players' records for a new ticket */
  queue: { from: [], to: P.queued },
  /** list the ticket in its shard's waiting list (store.add) */
  search: { from: [P.queued], to: P.searching },
  /** the queue connection's heartbeat: records refreshed, nothing else changes */
  refresh: { from: [P.searching], to: P.searching },
  /** the store lost a ticket its queue room still holds: records taken and ticket listed again, as it was */
  restore: { from: [P.searching], to: P.searching },
  /** the leader's fenced, all-or-nothing claim into a match */
  claim: { from: [P.searching], to: P.claimed },
  /** the mode asks for acceptance: the claimed match is proposed to its players first (ticket and records expire with the proposal) */
  propose: { from: [P.claimed], to: P.proposed },
  /** every player accepted: the leader provisions the match as if it had just been claimed */
  accept: { from: [P.proposed], to: P.claimed },
  /** the proposal fell through and every player of this ticket accepted (or was not at fault): back to waiting, original enqueue time */
  withdraw: { from: [P.proposed], to: P.searching },
  /** a player of this ticket declined, or did not accept in time: records released, ticket removed */
  decline: { from: [P.proposed], to: P.cancelled },
  /** the match room exists on `host`: the records are its to release */
  seat: { from: [P.claimed], to: P.seated },
  /** provisioning failed (no node, room not created, seats not reserved): back to waiting, original enqueue time */
  requeue: { from: [P.claimed, P.seated], to: P.searching },
  /** no-show without bots: the present players are sent back; the ticket waits for them (TTL) */
  sendBack: { from: [P.seated], to: P.requeued },
  /** a player rejoins: a sent-back ticket waits again, or a queued ticket whose queue node is gone moves here */
  resume: { from: [P.requeued, P.searching], to: P.searching },
  /** some players leave a seated ticket (no-shows replaced by bots, a match end for part of a ticket) */
  release: { from: [P.seated], to: P.seated },
  /** the match is over for the ticket (ended, host dead, room gone): every record released, ticket removed */
  finish: { from: [P.claimed, P.seated, P.requeued], to: P.done },
  /** the ticket ends before any match: cancelled, records released, ticket removed */
  cancel: { from: [P.queued, P.searching, P.requeued], to: P.cancelled },
} as const satisfies Record<string, { readonly from: readonly TicketPhase[]; readonly to: TicketPhase }>;
export type TicketTransition = keyof typeof TICKET_TRANSITIONS;

export const TicketLifecycleErrorCode = {
  /** a transition the state map does not allow from the ticket's phase (a bug in the caller) */
  MM_ILLEGAL_TRANSITION: "MM_ILLEGAL_TRANSITION",
  /** a player of the ticket holds another ticket that is still queued */
  MM_ALREADY_QUEUED: "MM_ALREADY_QUEUED",
  /** a player of the ticket is in a match */
  MM_ALREADY_IN_MATCH: "MM_ALREADY_IN_MATCH",
} as const;
export type TicketLifecycleErrorCode = typeof TicketLifecycleErrorCode[keyof typeof TicketLifecycleErrorCode];

/** A domain error of the catalog (protocol/errors.ts) carrying the refused step. */
export class TicketLifecycleError extends RallyError {
  /** `match`: MM_ALREADY_IN_MATCH's live match (where the player can go back to; the refusal carries it). */
  constructor(override readonly code: TicketLifecycleErrorCode, message: string, readonly detail: { readonly from?: TicketPhase; readonly transition?: TicketTransition; readonly ticketId?: string; readonly match?: CurrentMatch } = {}) {
    super(code, message);
  }
}

/** May `transition` start from `phase`? (the state map, as a predicate) */
export function allowed(phase: TicketPhase, transition: TicketTransition): boolean {
  return (TICKET_TRANSITIONS[transition].from as readonly TicketPhase[]).includes(phase);
}

/** A ticket as one caller holds it: the ticket, the phase it is in, and its (mode, shard). */
export interface TicketHandle {
  readonly ticket: Ticket;
  readonly phase: TicketPhase;
  readonly shard: string;
  /** the match it was claimed by (claimed, seated) */
  readonly matchId?: string;
}

/**
 * The phase of a ticket from what the stores hold (the one mapping of their vocabularies). A
 * player's record decides while it is matched or sent back (the ticket may be `matched` either
 * way); otherwise the ticket's store state does. Undefined: neither store knows the ticket.
 */
export function phaseOf(stored: Pick<StoredTicket, "state"> | undefined, record: Pick<PlayerRecord, "state"> | undefined): TicketPhase | undefined {
  if (!stored) {
    if (!record) return undefined;
    // records without a ticket: taken, not listed yet; or left behind by a ticket that is gone
    return record.state === PlayerQueueState.queued ? P.queued : P.done;
  }
  if (stored.state === TicketState.cancelled) return P.cancelled;
  if (record?.state === PlayerQueueState.requeue) return P.requeued;
  if (record?.state === PlayerQueueState.matched || stored.state === TicketState.matched) return P.seated;
  return P.searching;
}

/** The `status` message's `state` for a phase (undefined: a party still gathering, no ticket yet). */
export function statusStateOf(phase: TicketPhase | undefined): "gathering" | "searching" | "proposed" | "matched" | "cancelled" {
  switch (phase) {
    case undefined: return "gathering";
    case P.queued: case P.searching: case P.requeued: return "searching";
    case P.proposed: return "proposed";
    case P.claimed: case P.seated: case P.done: return "matched";
    case P.cancelled: return "cancelled";
  }
}

/** A player's standing, read from both stores at once. */
export interface PlayerStanding {
  readonly record: PlayerRecord;
  readonly stored: StoredTicket | undefined;
  readonly phase: TicketPhase;
}

export interface TicketLifecycleDeps {
  readonly store: TicketStore;
  readonly players: PlayerIndex;
  /** rules of a mode (the shard of a ticket comes from them); undefined for an unknown mode */
  rulesOf(mode: string): Pick<ModeRules, "shards"> | undefined;
}

/** Handle of a stored ticket in `phase` (the shard the store lists it in). */
export function handleOf(stored: StoredTicket, phase: TicketPhase): TicketHandle {
  return { ticket: stored.ticket, phase, shard: stored.shard, ...(stored.matchId ? { matchId: stored.matchId } : {}) };
}

export class TicketLifecycle {
  constructor(private readonly deps: TicketLifecycleDeps) {}

  private get store(): TicketStore { return this.deps.store; }
  private get players(): PlayerIndex { return this.deps.players; }

  /** The shard a ticket belongs to in its mode (the rules decide: its home region's shard). */
  shardOf(ticket: Pick<Ticket, "mode" | "region">): string {
    return ticketShard(this.deps.rulesOf(ticket.mode) ?? {}, ticket);
  }

  private guard(h: Pick<TicketHandle, "phase" | "ticket">, transition: TicketTransition): void {
    if ((TICKET_TRANSITIONS[transition].from as readonly TicketPhase[]).includes(h.phase)) return;
    throw new TicketLifecycleError(TicketLifecycleErrorCode.MM_ILLEGAL_TRANSITION, `ticket ${h.ticket.id}: ${transition} is not allowed from ${h.phase}`, { from: h.phase, transition, ticketId: h.ticket.id });
  }

  private static to(h: TicketHandle, transition: TicketTransition, extra: Partial<TicketHandle> = {}): TicketHandle {
    return { ...h, ...extra, phase: TICKET_TRANSITIONS[transition].to };
  }

  /** A player's record and its ticket, and the phase they say (null: no record). */
  async standing(playerId: string): Promise<PlayerStanding | null> {
    const record = await this.players.get(playerId);
    if (!record) return null;
    const stored = await this.store.get(record.ticketId);
    return { record, stored, phase: phaseOf(stored, record)! };
  }

  /** The stored ticket (any phase), or undefined. */
  async stored(ticketId: string): Promise<StoredTicket | undefined> {
    return this.store.get(ticketId);
  }

  /**
   * queue: take every player's record for a new ticket on `node` (the process whose queue room holds
   * it), all or nothing. A player holding another ticket refuses it (MM_ALREADY_QUEUED while that
   * one is queued, MM_ALREADY_IN_MATCH else); nothing is written then.
   */
  async queue(ticket: Ticket, players: readonly { playerId: string; name: string }[], now: number, node?: string): Promise<TicketHandle> {
    const conflict = await this.players.take(players, ticket.id, now, node || undefined);
    if (conflict) {
      const code = conflict.state === PlayerQueueState.queued ? TicketLifecycleErrorCode.MM_ALREADY_QUEUED : TicketLifecycleErrorCode.MM_ALREADY_IN_MATCH;
      throw new TicketLifecycleError(code, "a player of this ticket is already queued or in a match", { ticketId: ticket.id });
    }
    return { ticket, phase: P.queued, shard: this.shardOf(ticket) };
  }

  /**
   * search: list the ticket in the waiting list of its shard (matches never cross shards). If the
   * store refuses (a ticket with this id is still known), the records are released and the error
   * is rethrown: the ticket never existed.
   */
  async search(h: TicketHandle): Promise<TicketHandle> {
    this.guard(h, "search");
    try {
      await this.store.add(h.ticket, h.shard);
    } catch (e) {
      await this.players.release(h.ticket.playerIds, h.ticket.id);
      throw e;
    }
    return TicketLifecycle.to(h, "search");
  }

  /** refresh: the queue connection's heartbeat keeps the records fresh (a record not refreshed belongs to a dead queue). */
  async refresh(h: TicketHandle, now: number): Promise<void> {
    this.guard(h, "refresh");
    await this.players.update(h.ticket.playerIds, h.ticket.id, {}, now);
  }

  /**
   * restore: the store lost a waiting ticket (Redis restarted without its data). Records are taken
   * again and the ticket listed as it was (original enqueue time, party, latencies, ratings). A
   * player who meanwhile holds another ticket ends this one: returns that record (nothing written).
   */
  async restore(h: TicketHandle, players: readonly { playerId: string; name: string }[], now: number, node?: string): Promise<PlayerRecord | null> {
    this.guard(h, "restore");
    const conflict = await this.players.take(players, h.ticket.id, now, node || undefined);
    if (conflict) return conflict;
    try {
      await this.store.add(h.ticket, h.shard);
    } catch (e) {
      if (!isRallyError(e) || e.code !== "MM_DUPLICATE_TICKET") throw e; // it is back already
    }
    return null;
  }

  /**
   * claim: take every ticket of one match, fenced by the leader's lease token for (mode, shard), all
   * or nothing; then the records name the match and the leader (`host`) that provisions it. A
   * refused claim changes nothing.
   */
  claim(hs: readonly TicketHandle[], mode: string, shard: string, matchId: string, fence: number, now: number, leader: string): Promise<{ result: ClaimResult; claimed: TicketHandle[] }> {
    // the leader proposes thousands of lobbies a pass and most claims may be refused: no await, no
    // allocation past the ids on that path
    const ids = new Array<string>(hs.length);
    try {
      for (let i = 0; i < hs.length; i++) {
        this.guard(hs[i]!, "claim");
        ids[i] = hs[i]!.ticket.id;
      }
    } catch (e) {
      return Promise.reject(e); // like every other transition: a rejected promise, never a throw
    }
    return this.store.claim(mode, ids, matchId, fence, shard).then((result) => (result.ok ? this.claimed(hs, result, matchId, now, leader) : { result, claimed: [] }));
  }

  private async claimed(hs: readonly TicketHandle[], result: ClaimResult, matchId: string, now: number, leader: string): Promise<{ result: ClaimResult; claimed: TicketHandle[] }> {
    // while provisioning, the leader owns the records (`host`); the room's node does once it exists
    await Promise.all(hs.map((h) => this.players.update(h.ticket.playerIds, h.ticket.id, { state: PlayerQueueState.matched, matchId, ttlMs: MATCHED_TTL_MS, ...(leader ? { host: leader } : {}) }, now)));
    return { result, claimed: hs.map((h) => TicketLifecycle.to(h, "claim", { matchId })) };
  }

  /**
   * propose: the claimed match waits for its players' answers. The ticket and its records expire
   * after `ttlMs` (past the proposal's deadline), so a proposal whose every settler died leaves
   * nothing behind; `accept` puts the matched safety TTL back, `withdraw` clears it.
   */
  async propose(h: TicketHandle, ttlMs: number, now: number): Promise<TicketHandle> {
    this.guard(h, "propose");
    await this.players.update(h.ticket.playerIds, h.ticket.id, { ttlMs }, now);
    await this.store.expire(h.ticket.id, ttlMs);
    return TicketLifecycle.to(h, "propose");
  }

  /** accept: every player accepted; the leader provisions (then `seat` or `requeue`, as after a claim). */
  async accept(h: TicketHandle, now: number): Promise<TicketHandle> {
    this.guard(h, "accept");
    await this.players.update(h.ticket.playerIds, h.ticket.id, { ttlMs: MATCHED_TTL_MS }, now);
    await this.store.expire(h.ticket.id, MATCHED_TTL_MS);
    return TicketLifecycle.to(h, "accept");
  }

  /** Is the stored ticket still the one this proposal holds (matched by h.matchId)? */
  private async stillProposed(h: TicketHandle): Promise<boolean> {
    const stored = await this.store.get(h.ticket.id);
    return !!stored && stored.state === TicketState.matched && stored.matchId === h.matchId;
  }

  /**
   * withdraw: the proposal fell through, not by this ticket's players: it waits again with its
   * original enqueue time. False: the ticket is no longer this proposal's (settled by another node,
   * removed by the reaper): nothing written.
   */
  async withdraw(h: TicketHandle, now: number): Promise<boolean> {
    this.guard(h, "withdraw");
    if (!(await this.stillProposed(h)) || !(await this.store.requeue(h.ticket.id))) return false;
    await this.players.update(h.ticket.playerIds, h.ticket.id, { state: PlayerQueueState.queued, matchId: null, host: null }, now);
    return true;
  }

  /** decline: a player of the ticket declined or never answered: the ticket ends (removed while still this proposal's), records released. */
  async decline(h: TicketHandle): Promise<TicketHandle> {
    this.guard(h, "decline");
    if (await this.stillProposed(h)) await this.store.remove(h.ticket.id);
    await this.players.release(h.ticket.playerIds, h.ticket.id);
    return TicketLifecycle.to(h, "decline", { matchId: undefined });
  }

  /** seat: the match room exists on `host`; its match end releases the records, the reaper does if it dies. */
  async seat(h: TicketHandle, host: string, now: number): Promise<TicketHandle> {
    this.guard(h, "seat");
    await this.players.update(h.ticket.playerIds, h.ticket.id, { host, ttlMs: MATCHED_TTL_MS }, now);
    await this.store.expire(h.ticket.id, MATCHED_TTL_MS);
    return TicketLifecycle.to(h, "seat");
  }

  /** requeue: provisioning failed; back to waiting with the original enqueue time. False: the ticket was no longer matched (nothing written). */
  async requeue(h: TicketHandle, now: number): Promise<boolean> {
    this.guard(h, "requeue");
    if (!(await this.store.requeue(h.ticket.id))) return false;
    await this.players.update(h.ticket.playerIds, h.ticket.id, { state: PlayerQueueState.queued, matchId: null, host: null }, now);
    return true;
  }

  /**
   * sendBack: a no-show without bots. The present players' rejoin resumes the ticket (front of the
   * queue); the ticket and their records wait `ttlMs` for them (as long as a dropped queue
   * connection would), then they are gone.
   */
  async sendBack(h: TicketHandle, present: readonly string[], ttlMs: number, now: number): Promise<TicketHandle> {
    this.guard(h, "sendBack");
    await this.players.update(present, h.ticket.id, { state: PlayerQueueState.requeue, matchId: null, ttlMs }, now);
    await this.store.expire(h.ticket.id, ttlMs);
    return TicketLifecycle.to(h, "sendBack", { matchId: undefined });
  }

  /**
   * resume: a player of the ticket rejoins the queue on `node`. A sent-back ticket waits again
   * (original enqueue time, its expiry cleared); a queued one whose queue node is gone moves here.
   */
  async resume(h: TicketHandle, now: number, node?: string): Promise<TicketHandle> {
    this.guard(h, "resume");
    if (h.phase === P.requeued) await this.store.requeue(h.ticket.id);
    await this.players.update(h.ticket.playerIds, h.ticket.id, { state: PlayerQueueState.queued, matchId: null, ...(node ? { node } : {}) }, now);
    return TicketLifecycle.to(h, "resume", { matchId: undefined });
  }

  /** release: these players leave a seated ticket (their records go); the others keep it. */
  async release(h: TicketHandle, playerIds: readonly string[]): Promise<TicketHandle> {
    this.guard(h, "release");
    await this.players.release(playerIds, h.ticket.id);
    return TicketLifecycle.to(h, "release");
  }

  /**
   * finish: the match is over for this ticket. The records of `playerIds` (default: all) are
   * released and the ticket removed while it is still matched (by `matchId`, when given): a ticket
   * that was requeued meanwhile is not the finished match's any more.
   */
  async finish(h: TicketHandle, playerIds: readonly string[] = h.ticket.playerIds, matchId?: string): Promise<TicketHandle> {
    this.guard(h, "finish");
    await this.players.release(playerIds, h.ticket.id);
    const stored = await this.store.get(h.ticket.id);
    if (stored && stored.state === TicketState.matched && (!matchId || stored.matchId === matchId)) await this.store.remove(h.ticket.id);
    return TicketLifecycle.to(h, "finish", { matchId: undefined });
  }

  /**
   * cancel: the ticket ends before any match. A waiting ticket must still be waiting (a claim that
   * won the race keeps it: returns false, nothing written); it is removed (no cancelled ticket stays
   * behind) and its records released. A queued ticket (not listed) only loses its records; a
   * sent-back one is removed whatever the store says.
   */
  async cancel(h: TicketHandle): Promise<boolean> {
    this.guard(h, "cancel");
    if (h.phase === P.searching && !(await this.store.cancel(h.ticket.id))) return false;
    if (h.phase !== P.queued) await this.store.remove(h.ticket.id);
    await this.players.release(h.ticket.playerIds, h.ticket.id);
    return true;
  }

  /**
   * These seated players confirmed their seat (the queue room lets them go): their records stop
   * naming the queue node (no queue room holds a seated player; the match host owns the records), so
   * a matched record that still names one is a seat not yet confirmed. Not a transition: the
   * ticket's phase does not change.
   */
  async detachQueueNode(playerIds: readonly string[], ticketId: string, now: number): Promise<void> {
    await this.players.update(playerIds, ticketId, { node: null }, now);
  }

  /** A record left behind by a ticket that is over (cancelled, removed, expired): the player may queue again. */
  async forget(playerId: string, ticketId: string): Promise<void> {
    await this.players.release([playerId], ticketId);
  }
}

/**
 * Expiry of a matched ticket and its players' records: a safety net only. Their owner (the match
 * room's node) removes them when the match ends, and the dead-node reaper when that node dies; a key
 * whose every owner vanished without either still goes away.
 */
export const MATCHED_TTL_MS = 6 * 3600_000;

/**
 * What a no-show does to one ticket of the match (`NoShowReport`: the room's connect timeout fired
 * with players missing). Missing players always lose their seats; then:
 * - `drop`: nobody of the ticket came, or some of a party came but the match is cancelled (a party
 *   is never sent back without a member): the ticket is finished, every record released;
 * - `play`: bots took the empty seats (`requeue` false): the present players play on;
 * - `sendBack`: the match is cancelled and everyone of the ticket came: the ticket goes back to the
 *   queue (`sendBack`), and their rejoin resumes it at the front (original enqueue time).
 */
export function noShowOutcome(present: number, missing: number, requeue: boolean): "drop" | "play" | "sendBack" {
  if (present === 0) return "drop";
  if (!requeue) return "play";
  return missing > 0 ? "drop" : "sendBack";
}
