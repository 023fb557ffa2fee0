/**
 * Ticket bookkeeping, apart from the matching rules (Nakama style): who is waiting, who
 * was claimed by which match. `claim` is all-or-nothing and fenced, so a ticket is never
 * in two matches and a deposed matcher (stale lease token) cannot claim anything.
 */
import { TicketError, TicketState, type Ticket } from "./ticket.ts";

export interface StoredTicket {
  readonly ticket: Ticket;
  readonly state: TicketState;
  readonly matchId?: string;
}

export interface ClaimResult {
  readonly ok: boolean;
  /** why not: a ticket is no longer waiting, or the fencing token is stale */
  readonly reason?: "not-waiting" | "stale-fence";
}

export interface TicketStore {
  /** enqueue; throws MM_DUPLICATE_TICKET if the id is known and not finished */
  add(ticket: Ticket): Promise<void>;
  /** player left the queue: true if it was waiting (a matched ticket cannot be cancelled) */
  cancel(ticketId: string): Promise<boolean>;
  get(ticketId: string): Promise<StoredTicket | undefined>;
  /** waiting tickets of a mode, oldest first; `region` filters by home region */
  listWaiting(mode: string, region?: string): Promise<Ticket[]>;
  /**
   * Atomically mark every ticket matched by `matchId`, or none of them. `fence` is the
   * matcher's lease token for `mode`: a token older than the highest seen is refused.
   */
  claim(mode: string, ticketIds: readonly string[], matchId: string, fence: number): Promise<ClaimResult>;
  /** back to waiting with its original enqueue time (ready check failed, seat not used) */
  requeue(ticketId: string): Promise<boolean>;
  /** forget a finished ticket (player seated, or cancelled) */
  remove(ticketId: string): Promise<void>;
}

/** Single-process store: plain maps, ordered by enqueue time on read. */
export class MemoryTicketStore implements TicketStore {
  private readonly tickets = new Map<string, { ticket: Ticket; state: TicketState; matchId?: string }>();
  private readonly fences = new Map<string, number>();

  async add(ticket: Ticket): Promise<void> {
    const prev = this.tickets.get(ticket.id);
    if (prev && prev.state !== TicketState.cancelled) throw new TicketError("MM_DUPLICATE_TICKET", `ticket ${ticket.id} already queued`);
    this.tickets.set(ticket.id, { ticket, state: TicketState.waiting });
  }

  async cancel(ticketId: string): Promise<boolean> {
    const t = this.tickets.get(ticketId);
    if (!t || t.state !== TicketState.waiting) return false;
    t.state = TicketState.cancelled;
    return true;
  }

  async get(ticketId: string): Promise<StoredTicket | undefined> {
    const t = this.tickets.get(ticketId);
    return t && { ticket: t.ticket, state: t.state, matchId: t.matchId };
  }

  async listWaiting(mode: string, region?: string): Promise<Ticket[]> {
    const out: Ticket[] = [];
    for (const t of this.tickets.values()) {
      if (t.state === TicketState.waiting && t.ticket.mode === mode && (!region || t.ticket.region === region)) out.push(t.ticket);
    }
    return out.sort((a, b) => a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async claim(mode: string, ticketIds: readonly string[], matchId: string, fence: number): Promise<ClaimResult> {
    if (fence < (this.fences.get(mode) ?? 0)) return { ok: false, reason: "stale-fence" };
    if (new Set(ticketIds).size !== ticketIds.length) return { ok: false, reason: "not-waiting" };
    for (const id of ticketIds) {
      if (this.tickets.get(id)?.state !== TicketState.waiting) return { ok: false, reason: "not-waiting" };
    }
    this.fences.set(mode, fence);
    for (const id of ticketIds) {
      const t = this.tickets.get(id)!;
      t.state = TicketState.matched;
      t.matchId = matchId;
    }
    return { ok: true };
  }

  async requeue(ticketId: string): Promise<boolean> {
    const t = this.tickets.get(ticketId);
    if (!t || t.state !== TicketState.matched) return false;
    t.state = TicketState.waiting;
    t.matchId = undefined;
    return true;
  }

  async remove(ticketId: string): Promise<void> {
    this.tickets.delete(ticketId);
  }
}
