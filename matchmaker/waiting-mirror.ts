/**
 * The leader's local copy of one (mode, shard)'s waiting list, kept current from the store's
 * change log: a pass reads only the tickets that changed since the last one, not every waiting
 * ticket (100k tickets are 100k hash reads and JSON parses per second otherwise).
 *
 * A snapshot (full read) happens on the first sync (a new lease: the mirror is created per lease
 * token), when the store cannot continue the log from the mirror's cursor (trimmed, another epoch:
 * Redis lost its data), or when the mirror's count disagrees with the store's. The mirror is only
 * a proposal for the matcher: claims stay fenced and all-or-nothing in the store, so a stale entry
 * can only make a claim be refused, never seat a ticket twice.
 *
 * Unchanged tickets keep their object identity pass after pass, which the matcher's per-ticket
 * field cache (pool-index.ts) relies on.
 */
import type { Ticket } from "./ticket.ts";
import type { TicketStore, WaitingCursor } from "./ticket-store.ts";
import { ticketShard, type ModeRules } from "./rules.ts";

export interface MirrorSync {
  /** waiting tickets, oldest first (the same array as last time when nothing changed) */
  readonly tickets: readonly Ticket[];
  /** true when this sync read every waiting ticket */
  readonly full: boolean;
  /** tickets read (changed ones, or all on a full read) */
  readonly read: number;
}

const byAge = (a: Ticket, b: Ticket) => a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class WaitingMirror {
  private cursor: WaitingCursor | null = null;
  private byId = new Map<string, Ticket>();
  private list: Ticket[] = [];
  /** ids the store lists here whose home region is in another shard by the rules (kept out of `list`, counted) */
  private foreign = new Set<string>();

  /**
   * `rules`: the mode's rules; a listed ticket whose shard by the rules (`ticketShard`) is not this
   * one is kept out of the pool (a guard: the store lists tickets per shard already).
   */
  constructor(private readonly store: TicketStore, readonly mode: string, readonly shard: string, /** the lease token it was built under */ readonly token = 0, private readonly rules: Pick<ModeRules, "shards"> = {}) {}

  private belongs(t: Ticket): boolean {
    return ticketShard(this.rules, t) === this.shard;
  }

  get size(): number { return this.list.length; }

  /** Forget everything: the next sync reads a snapshot. */
  reset(): void {
    this.cursor = null;
  }

  async sync(): Promise<MirrorSync> {
    if (this.cursor) {
      const ch = await this.store.waitingChanges(this.mode, this.shard, this.cursor);
      if (ch) {
        this.cursor = ch.cursor;
        const read = ch.waiting.length + ch.gone.length;
        if (read) this.apply(ch.waiting, ch.gone);
        if (this.list.length + this.foreign.size === ch.count) return { tickets: this.list, full: false, read };
      }
    }
    const snap = await this.store.snapshotWaiting(this.mode, this.shard);
    this.cursor = snap.cursor;
    this.foreign = new Set();
    let list = snap.tickets;
    if (this.rules.shards) {
      list = snap.tickets.filter((t) => this.belongs(t));
      if (list.length !== snap.tickets.length) for (const t of snap.tickets) if (!this.belongs(t)) this.foreign.add(t.id);
    }
    this.list = list;
    this.byId = new Map(list.map((t) => [t.id, t]));
    return { tickets: this.list, full: true, read: snap.tickets.length };
  }

  /** Changed tickets out, their current versions (if waiting) merged back in enqueue order. */
  private apply(changed: readonly Ticket[], gone: readonly string[]): void {
    const out = new Set<string>(gone);
    for (const t of changed) out.add(t.id);
    for (const id of out) this.foreign.delete(id);
    let waiting = changed;
    if (this.rules.shards && changed.some((t) => !this.belongs(t))) {
      waiting = changed.filter((t) => this.belongs(t));
      for (const t of changed) if (!this.belongs(t)) this.foreign.add(t.id);
    }
    let removed = 0;
    for (const id of out) if (this.byId.delete(id)) removed++;
    let kept = this.list;
    if (removed) kept = this.list.filter((t) => !out.has(t.id));
    if (!waiting.length) {
      this.list = kept;
      return;
    }
    const add = [...waiting].sort(byAge);
    for (const t of add) this.byId.set(t.id, t);
    // usually newer than everything kept: append; else a linear merge
    if (!kept.length || byAge(kept[kept.length - 1], add[0]) < 0) {
      const next = kept === this.list ? kept.slice() : kept; // a list handed out is never changed
      for (const t of add) next.push(t);
      this.list = next;
      return;
    }
    const merged: Ticket[] = new Array(kept.length + add.length);
    let i = 0, j = 0, k = 0;
    while (i < kept.length && j < add.length) merged[k++] = byAge(kept[i], add[j]) <= 0 ? kept[i++] : add[j++];
    while (i < kept.length) merged[k++] = kept[i++];
    while (j < add.length) merged[k++] = add[j++];
    this.list = merged;
  }
}
