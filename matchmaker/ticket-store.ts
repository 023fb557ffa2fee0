/**
 * Ticket bookkeeping, apart from the matching rules (Nakama style): who is waiting, who
 * was claimed by which match. `claim` is all-or-nothing and fenced, so a ticket is never
 * in two matches and a deposed matcher (stale lease token) cannot claim anything.
 */
import { randomUUID } from "node:crypto";
import { RallyError } from "../protocol/index.ts";
import { TicketState, type Ticket } from "./ticket.ts";
import { DEFAULT_SHARD } from "./rules.ts";

/**
 * The key of one (mode, shard): the mode alone for the default shard (the names a mode had before
 * shards existed, so an unsharded mode keeps its lease, fence and waiting list), `mode/shard` else.
 */
export function shardKey(mode: string, shard: string = DEFAULT_SHARD): string {
  return shard === DEFAULT_SHARD ? mode : `${mode}/${shard}`;
}

export interface StoredTicket {
  readonly ticket: Ticket;
  readonly state: TicketState;
  readonly matchId?: string;
  /** the region shard of the mode the ticket waits in (`default` unless the mode has shards) */
  readonly shard: string;
}

export interface ClaimResult {
  readonly ok: boolean;
  /** why not: a ticket is no longer waiting, belongs to another (mode, shard), or the fencing token is stale */
  readonly reason?: "not-waiting" | "wrong-shard" | "stale-fence";
}

export interface WaitingFilter {
  /** the shard to list; default `default` */
  readonly shard?: string;
  /** only tickets with this home region */
  readonly region?: string;
}

/**
 * Where a reader of one (mode, shard)'s waiting list stands in that list's change log: every
 * change of the list (add, cancel, claim, requeue, remove) bumps `seq`; `epoch` names the log's
 * life (a Redis that lost its data starts a new one), so a cursor never continues another log.
 */
export interface WaitingCursor {
  readonly epoch: string;
  readonly seq: number;
}

export interface WaitingSnapshot {
  readonly cursor: WaitingCursor;
  /** waiting tickets of the (mode, shard), oldest first */
  readonly tickets: Ticket[];
}

export interface WaitingChanges {
  readonly cursor: WaitingCursor;
  /** tickets changed since the old cursor that are waiting now (added, requeued, re-added) */
  readonly waiting: Ticket[];
  /** ids changed since the old cursor that are not waiting now (claimed, cancelled, removed) */
  readonly gone: string[];
  /** how many tickets wait now: a reader whose mirror holds another count reads a snapshot */
  readonly count: number;
}

export interface TicketStore {
  /** enqueue in `shard` of its mode; throws MM_DUPLICATE_TICKET if the id is known and not finished */
  add(ticket: Ticket, shard?: string): Promise<void>;
  /** player left the queue: true if it was waiting (a matched ticket cannot be cancelled) */
  cancel(ticketId: string): Promise<boolean>;
  get(ticketId: string): Promise<StoredTicket | undefined>;
  /** waiting tickets of one (mode, shard), oldest first; `region` filters by home region */
  listWaiting(mode: string, filter?: WaitingFilter): Promise<Ticket[]>;
  /**
   * Atomically mark every ticket matched by `matchId`, or none of them. `fence` is the matcher's
   * lease token for (`mode`, `shard`): a token older than the highest seen for that shard is
   * refused; every ticket must wait in that very (mode, shard). Shards have separate fences.
   */
  claim(mode: string, ticketIds: readonly string[], matchId: string, fence: number, shard?: string): Promise<ClaimResult>;
  /** back to waiting with its original enqueue time (ready check failed, seat not used); clears an expiry */
  requeue(ticketId: string): Promise<boolean>;
  /**
   * Forget a matched ticket after `ttlMs` unless `requeue` brings it back first (its players were
   * sent back to the queue and may never come): it never stays in the store forever.
   */
  expire(ticketId: string, ttlMs: number): Promise<void>;
  /** forget a finished ticket (player seated, or cancelled) */
  remove(ticketId: string): Promise<void>;
  /** every waiting ticket of (mode, shard) and the change-log cursor that list is current at */
  snapshotWaiting(mode: string, shard?: string): Promise<WaitingSnapshot>;
  /**
   * What changed in (mode, shard)'s waiting list after `cursor`; null when the log cannot continue
   * from it (another epoch, trimmed past it, Redis lost its data): read a snapshot instead. A call
   * may forget the log up to the cursor it returns (one reader, the shard's leader, follows a log).
   */
  waitingChanges(mode: string, shard: string, cursor: WaitingCursor): Promise<WaitingChanges | null>;
}

/** Single-process store: plain maps, ordered by enqueue time on read; expiry by the injected clock. */
export class MemoryTicketStore implements TicketStore {
  private readonly tickets = new Map<string, { ticket: Ticket; state: TicketState; skey: string; shard: string; matchId?: string; expiresAt?: number }>();
  private readonly fences = new Map<string, number>();
  /** ids with an expiry, purged on each listWaiting (every pass), so nobody has to touch them again */
  private readonly expiring = new Set<string>();

  /** per (mode, shard): change log (id -> seq of its last change), last seq, and the seq trimmed up to */
  private readonly logs = new Map<string, { changed: Map<string, number>; seq: number; floor: number }>();
  private readonly epoch = randomUUID();

  constructor(private readonly now: () => number = Date.now) {}

  private logChange(skey: string, id: string): void {
    let log = this.logs.get(skey);
    if (!log) this.logs.set(skey, log = { changed: new Map(), seq: 0, floor: 0 });
    log.changed.delete(id); // keeps the map in seq order
    log.changed.set(id, ++log.seq);
  }

  private entry(id: string) {
    const t = this.tickets.get(id);
    if (t?.expiresAt !== undefined && t.expiresAt <= this.now()) {
      this.tickets.delete(id);
      return undefined;
    }
    return t;
  }

  async add(ticket: Ticket, shard: string = DEFAULT_SHARD): Promise<void> {
    const prev = this.entry(ticket.id);
    if (prev && prev.state !== TicketState.cancelled) throw new RallyError("MM_DUPLICATE_TICKET", `ticket ${ticket.id} already queued`);
    const skey = shardKey(ticket.mode, shard);
    this.tickets.set(ticket.id, { ticket, state: TicketState.waiting, skey, shard });
    this.logChange(skey, ticket.id);
  }

  async cancel(ticketId: string): Promise<boolean> {
    const t = this.entry(ticketId);
    if (!t || t.state !== TicketState.waiting) return false;
    t.state = TicketState.cancelled;
    this.logChange(t.skey, ticketId);
    return true;
  }

  async get(ticketId: string): Promise<StoredTicket | undefined> {
    const t = this.entry(ticketId);
    return t && { ticket: t.ticket, state: t.state, matchId: t.matchId, shard: t.shard };
  }

  async listWaiting(mode: string, filter: WaitingFilter = {}): Promise<Ticket[]> {
    for (const id of this.expiring) if (!this.entry(id)) this.expiring.delete(id);
    const skey = shardKey(mode, filter.shard);
    const out: Ticket[] = [];
    for (const t of this.tickets.values()) {
      if (t.state === TicketState.waiting && t.skey === skey && (!filter.region || t.ticket.region === filter.region)) out.push(t.ticket);
    }
    return out.sort((a, b) => a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async claim(mode: string, ticketIds: readonly string[], matchId: string, fence: number, shard: string = DEFAULT_SHARD): Promise<ClaimResult> {
    const skey = shardKey(mode, shard);
    if (fence < (this.fences.get(skey) ?? 0)) return { ok: false, reason: "stale-fence" };
    if (new Set(ticketIds).size !== ticketIds.length) return { ok: false, reason: "not-waiting" };
    for (const id of ticketIds) {
      const t = this.entry(id);
      if (t?.state !== TicketState.waiting) return { ok: false, reason: "not-waiting" };
      if (t.skey !== skey) return { ok: false, reason: "wrong-shard" };
    }
    this.fences.set(skey, fence);
    for (const id of ticketIds) {
      const t = this.tickets.get(id)!;
      t.state = TicketState.matched;
      t.matchId = matchId;
      this.logChange(skey, id);
    }
    return { ok: true };
  }

  async requeue(ticketId: string): Promise<boolean> {
    const t = this.entry(ticketId);
    if (!t || t.state !== TicketState.matched) return false;
    t.state = TicketState.waiting;
    t.matchId = undefined;
    t.expiresAt = undefined;
    this.expiring.delete(ticketId);
    this.logChange(t.skey, ticketId);
    return true;
  }

  async expire(ticketId: string, ttlMs: number): Promise<void> {
    const t = this.entry(ticketId);
    if (!t || t.state !== TicketState.matched) return; // a waiting ticket never expires by itself
    t.expiresAt = this.now() + ttlMs;
    this.expiring.add(ticketId);
  }

  async remove(ticketId: string): Promise<void> {
    const t = this.tickets.get(ticketId);
    if (t?.state === TicketState.waiting) this.logChange(t.skey, ticketId);
    this.tickets.delete(ticketId);
    this.expiring.delete(ticketId);
  }

  async snapshotWaiting(mode: string, shard: string = DEFAULT_SHARD): Promise<WaitingSnapshot> {
    const seq = this.logs.get(shardKey(mode, shard))?.seq ?? 0;
    return { cursor: { epoch: this.epoch, seq }, tickets: await this.listWaiting(mode, { shard }) };
  }

  async waitingChanges(mode: string, shard: string, cursor: WaitingCursor): Promise<WaitingChanges | null> {
    const skey = shardKey(mode, shard);
    const log = this.logs.get(skey) ?? { changed: new Map<string, number>(), seq: 0, floor: 0 };
    if (cursor.epoch !== this.epoch || cursor.seq > log.seq || cursor.seq < log.floor) return null;
    const waiting: Ticket[] = [], gone: string[] = [];
    for (const [id, seq] of log.changed) {
      if (seq <= cursor.seq) continue;
      const t = this.entry(id);
      if (t?.state === TicketState.waiting && t.skey === skey) waiting.push(t.ticket);
      else gone.push(id);
    }
    // the reader now stands at log.seq: older entries are no longer needed
    log.changed.clear();
    log.floor = log.seq;
    let count = 0;
    for (const t of this.tickets.values()) if (t.state === TicketState.waiting && t.skey === skey) count++;
    return { cursor: { epoch: this.epoch, seq: log.seq }, waiting, gone, count };
  }
}
