/**
 * Ticket bookkeeping, apart from the matching rules (Nakama style): who is waiting, who
 * was claimed by which match. `claim` is all-or-nothing and fenced, so a ticket is never
 * in two matches and a deposed matcher (stale lease token) cannot claim anything.
 */
import { TicketError, TicketState, type Ticket } from "./ticket.ts";
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
}

/** Single-process store: plain maps, ordered by enqueue time on read; expiry by the injected clock. */
export class MemoryTicketStore implements TicketStore {
  private readonly tickets = new Map<string, { ticket: Ticket; state: TicketState; skey: string; shard: string; matchId?: string; expiresAt?: number }>();
  private readonly fences = new Map<string, number>();
  /** ids with an expiry, purged on each listWaiting (every pass), so nobody has to touch them again */
  private readonly expiring = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

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
    if (prev && prev.state !== TicketState.cancelled) throw new TicketError("MM_DUPLICATE_TICKET", `ticket ${ticket.id} already queued`);
    this.tickets.set(ticket.id, { ticket, state: TicketState.waiting, skey: shardKey(ticket.mode, shard), shard });
  }

  async cancel(ticketId: string): Promise<boolean> {
    const t = this.entry(ticketId);
    if (!t || t.state !== TicketState.waiting) return false;
    t.state = TicketState.cancelled;
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
    return true;
  }

  async expire(ticketId: string, ttlMs: number): Promise<void> {
    const t = this.entry(ticketId);
    if (!t || t.state !== TicketState.matched) return; // a waiting ticket never expires by itself
    t.expiresAt = this.now() + ttlMs;
    this.expiring.add(ticketId);
  }

  async remove(ticketId: string): Promise<void> {
    this.tickets.delete(ticketId);
    this.expiring.delete(ticketId);
  }
}
