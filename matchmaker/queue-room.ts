/**
 * The `queue` room: a client joins with `{ mode, partyId?, latencies? }` and its access token; the
 * room turns it into a ticket in the TicketStore and streams `status` until the matcher leader (any
 * node) publishes a seat. Then, exactly like Colyseus' QueueRoom: `seat` (an ISeatReservation) ->
 * the client sends `confirm` -> the server closes the queue connection (1000) -> the client calls
 * `consumeSeatReservation`.
 *
 * Identity, rating and region come from the server: the token, the stored rating, this node's region
 * or the lowest-latency known region. Options carrying a rating, region, team or player id are
 * refused (MM_FORBIDDEN_OPTION) in onAuth, before any room or ticket exists.
 *
 * Parties: every member joins with the same partyId (filterBy puts them in the same queue room,
 * cluster-wide); the ticket is made once all members are connected; any member leaving cancels it
 * for all. A dropped connection keeps its ticket for `queueGraceS` (reconnection).
 */
import { randomUUID } from "node:crypto";
import { CloseCode, ErrorCode, Room, ServerError, type Client } from "@colyseus/core";
import { z } from "zod";
import { makeTicket, TicketError, TicketState, type Ticket } from "./ticket.ts";
import { PartyError, type QueueParty } from "./party.ts";
import { PlayerQueueState } from "./player-index.ts";
import { seatTopic, type MatchmakerService, type SeatNotice, type SeatReservation } from "./service.ts";
import { verifyLatencies } from "./latency.ts";

export const QueueErrorCode = {
  MM_BAD_OPTIONS: "MM_BAD_OPTIONS",
  MM_FORBIDDEN_OPTION: "MM_FORBIDDEN_OPTION",
  MM_UNKNOWN_MODE: "MM_UNKNOWN_MODE",
  MM_BAD_PARTY: "MM_BAD_PARTY",
  MM_ALREADY_QUEUED: "MM_ALREADY_QUEUED",
  MM_ALREADY_IN_MATCH: "MM_ALREADY_IN_MATCH",
  MM_PARTY_CANCELLED: "MM_PARTY_CANCELLED",
  UNKNOWN_MESSAGE: "UNKNOWN_MESSAGE",
} as const;

/** Keys only the server sets: a client sending one is refused, never silently ignored. */
const SERVER_ONLY = ["rating", "rank", "mmr", "mu", "sigma", "skill", "region", "team", "teamId", "teams", "playerId", "playerIds", "enqueuedAt", "matchId"];

const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "a region label");
export const queueJoinSchema = z.object({
  mode: z.string().min(1).max(32),
  partyId: z.unknown().optional(),
  latencies: z.record(regionName, z.number().finite().min(0).max(10_000))
    .refine((o) => Object.keys(o).length <= 32, "at most 32 regions").optional(),
}).strict();
const partyIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, '-' or '_'");

export interface QueueJoin {
  readonly mode: string;
  readonly partyId?: string;
  readonly latencies: Record<string, number>;
}

export interface QueueStatus {
  readonly state: "gathering" | "searching" | "matched" | "cancelled";
  readonly mode: string;
  readonly waitedMs: number;
  /** remaining wait from recent time-to-match of this mode and region; null when there is no honest figure */
  readonly estimatedWaitMs: number | null;
  /** how many recent matches the estimate is based on */
  readonly estimateBasis: number;
  /** current rating half-window */
  readonly skillWindow: number;
  /** regions this ticket may currently play in, home first */
  readonly regions: readonly string[];
  /** wait (s, the clock of waitedMs) from which bots may fill empty seats; null: this mode never uses bots */
  readonly botsAtS: number | null;
  /** wait (s) at which more regions open to this ticket; null: no expansion left */
  readonly nextRegionsAtS: number | null;
  /** the regions opening then, nearest first */
  readonly nextRegions: readonly string[];
  readonly region: string | null;
  /** party members connected / needed (parties only) */
  readonly party?: { readonly connected: number; readonly size: number };
  readonly reason?: string;
}

function refuse(code: string, message: string, colyseusCode: number = ErrorCode.APPLICATION_ERROR): ServerError {
  return new ServerError(colyseusCode, `${code}: ${message}`);
}

/** Validate untrusted join options; throws a coded ServerError. */
export function parseQueueJoin(options: unknown, service: MatchmakerService): QueueJoin {
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw refuse(QueueErrorCode.MM_BAD_OPTIONS, "join options must be an object");
  for (const key of SERVER_ONLY) {
    if (key in options) throw refuse(QueueErrorCode.MM_FORBIDDEN_OPTION, `"${key}" is set by the server, never by the client`);
  }
  const parsed = queueJoinSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw refuse(QueueErrorCode.MM_BAD_OPTIONS, `${issue?.message ?? "invalid"}${issue?.path.length ? ` at ${issue.path.join(".")}` : ""}`);
  }
  const { mode, partyId, latencies } = parsed.data;
  if (!Object.hasOwn(service.modes, mode)) throw refuse(QueueErrorCode.MM_UNKNOWN_MODE, `no queue mode "${mode}" (known: ${Object.keys(service.modes).join(", ")})`);
  let party: string | undefined;
  if (partyId !== undefined) {
    const p = partyIdSchema.safeParse(partyId);
    if (!p.success) throw refuse(QueueErrorCode.MM_BAD_PARTY, `partyId: ${p.error.issues[0]?.message}`);
    party = p.data;
  }
  return { mode, partyId: party, latencies: latencies ?? {} };
}

async function partyFor(service: MatchmakerService, join: QueueJoin, playerId: string): Promise<QueueParty | null> {
  if (!join.partyId) return null;
  let party: QueueParty;
  try {
    party = await service.deps.parties.forQueue(join.partyId, playerId);
  } catch (e) {
    if (e instanceof PartyError) throw refuse(e.code, e.message);
    throw e;
  }
  const max = service.modes[join.mode]!.rules.party.maxSize;
  if (party.memberIds.length > max) throw refuse("PARTY_TOO_LARGE", `mode "${join.mode}" takes parties of at most ${max}`);
  return party;
}

interface Identity { readonly playerId: string; readonly name: string }

interface Entry {
  readonly sessionId: string;
  readonly playerId: string;
  readonly name: string;
  readonly join: QueueJoin;
  ticketId?: string;
  seat?: SeatReservation;
  confirmed: boolean;
}

interface Held {
  ticket: Ticket;
  readonly sessionIds: string[];
  state: "searching" | "matched";
  readonly onNotice: (n: SeatNotice) => void;
}

interface Gather {
  readonly mode: string;
  readonly party: QueueParty;
  readonly members: Map<string, string>; // playerId -> sessionId
  enqueuing: boolean;
}

export interface QueueRoomDeps {
  verifyAccess(token: string | undefined): Promise<Identity>;
  readonly service: MatchmakerService;
  /** Round trip to this node over the client's own connection (server-measured), or null (no answer in time). */
  measureRtt?(client: Client): Promise<number | null>;
}

/** The `queue` room class bound to this node's matchmaker and token check. */
export function createQueueRoom(deps: QueueRoomDeps) {
  const { service } = deps;
  const metrics = service.deps.metrics;

  return class QueueRoom extends Room {
    override maxClients = 1000;
    override maxMessagesPerSecond = 10;
    private readonly entries = new Map<string, Entry>();
    private readonly held = new Map<string, Held>();
    private readonly gathers = new Map<string, Gather>();
    private beat = 0;
    /** a store sync (refresh + restore) is running: during a Redis outage a beat must not pile up behind it */
    private syncing = false;

    static override async onAuth(token: string, options: unknown): Promise<Identity> {
      let identity: Identity;
      try {
        identity = await deps.verifyAccess(token || undefined);
      } catch (e) {
        const code = typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "AUTH_INVALID_TOKEN";
        metrics.refused.inc({ code });
        throw refuse(code, e instanceof Error ? e.message : "invalid token", ErrorCode.AUTH_FAILED);
      }
      try {
        const join = parseQueueJoin(options, service);
        await partyFor(service, join, identity.playerId);
        const block = await service.blocking(identity.playerId);
        if (block && block.code !== "resume") throw refuse(block.code, block.code === "MM_ALREADY_QUEUED" ? "this player is already in a queue" : "this player is in a match");
      } catch (e) {
        metrics.refused.inc({ code: /^([A-Z_]+):/.exec((e as Error).message)?.[1] ?? "ERROR" });
        throw e;
      }
      return identity;
    }

    /** The mode this client queues for, once its join went through (presence shows "in queue" with it). */
    queuedMode(client: Client): string | null {
      return this.entries.get(client.sessionId)?.join.mode ?? null;
    }

    override onCreate(): void {
      this.onMessage("confirm", (client: Client) => {
        const entry = this.entries.get(client.sessionId);
        if (!entry?.seat || entry.confirmed) return;
        entry.confirmed = true;
        client.leave(CloseCode.NORMAL_CLOSURE);
      });
      this.onMessage("*", (client: Client, type: string | number) => {
        client.send("error", { code: QueueErrorCode.UNKNOWN_MESSAGE, message: `no message type "${String(type)}" in queue` });
      });
      this.clock.setInterval(() => void this.heartbeat(), 1000);
    }

    override async onJoin(client: Client, options: unknown, auth?: Identity): Promise<void> {
      if (!auth) throw refuse("AUTH_MISSING_TOKEN", "no identity", ErrorCode.AUTH_FAILED);
      const parsed = parseQueueJoin(options, service);
      // Client-reported latencies count only within what this node measured (matchmaker/latency.ts).
      const measured = deps.measureRtt ? await deps.measureRtt(client) : null;
      const join: QueueJoin = { ...parsed, latencies: verifyLatencies(parsed.latencies, service.deps.region, measured).latencies };
      const party = await partyFor(service, join, auth.playerId);
      const entry: Entry = { sessionId: client.sessionId, playerId: auth.playerId, name: auth.name, join, confirmed: false };
      if (!party) {
        this.entries.set(client.sessionId, entry);
        try {
          await this.enqueue([entry], undefined);
        } catch (e) {
          this.entries.delete(client.sessionId);
          throw e;
        }
        return;
      }
      let gather = this.gathers.get(party.partyId);
      if (gather && gather.mode !== join.mode) throw refuse(QueueErrorCode.MM_BAD_PARTY, `the party is queueing for "${gather.mode}"`);
      if (gather?.members.has(auth.playerId)) throw refuse(QueueErrorCode.MM_ALREADY_QUEUED, "this player is already in this party's queue");
      if (!gather) {
        gather = { mode: join.mode, party, members: new Map(), enqueuing: false };
        this.gathers.set(party.partyId, gather);
      }
      gather.members.set(auth.playerId, client.sessionId);
      this.entries.set(client.sessionId, entry);
      this.sendStatus(entry);
      const all = party.memberIds.every((id) => gather!.members.has(id));
      if (all && !gather.enqueuing) {
        gather.enqueuing = true;
        const members = party.memberIds.map((id) => this.entries.get(gather!.members.get(id)!)!);
        this.enqueue(members, party.partyId).catch((e: Error) => {
          // every member learns why, and the party may queue again
          for (const m of members) {
            const c = this.clients.getById(m.sessionId);
            c?.send("error", { code: /^([A-Z_]+):/.exec(e.message)?.[1] ?? "MM_ERROR", message: e.message });
            this.entries.delete(m.sessionId);
            c?.leave(CloseCode.CONSENTED);
          }
          this.gathers.delete(party.partyId);
        });
      }
    }

    /** Make (or resume) the ticket for these players. Throws a coded ServerError, changing nothing. */
    private async enqueue(members: Entry[], partyId: string | undefined): Promise<void> {
      const mode = members[0].join.mode;
      const playerIds = members.map((m) => m.playerId);
      const now = service.deps.now();
      let resume: { ticket: Ticket; state: TicketState } | null = null;
      for (const m of members) {
        const block = await service.blocking(m.playerId);
        if (!block) continue;
        if (block.code !== "resume") throw refuse(block.code, block.code === "MM_ALREADY_QUEUED" ? "this player is already in a queue" : "this player is in a match");
        const stored = await service.store.get(block.ticketId);
        // (and still in the shard its region belongs to: shards changed since = a new ticket)
        const same = stored && stored.ticket.mode === mode && stored.ticket.playerIds.length === playerIds.length && stored.ticket.playerIds.every((id) => playerIds.includes(id))
          && stored.shard === service.shardOf(mode, stored.ticket.region);
        if (same) resume = { ticket: stored.ticket, state: stored.state };
        else {
          // the old ticket no longer fits (other mode or party): it ends here
          await service.store.cancel(block.ticketId);
          await service.store.remove(block.ticketId);
          await service.players.release(stored?.ticket.playerIds ?? [m.playerId], block.ticketId);
        }
      }
      let ticket: Ticket;
      const onNotice = (n: SeatNotice) => this.onNotice(ticket.id, n);
      if (resume) {
        ticket = resume.ticket;
        await this.presence.subscribe(seatTopic(ticket.id), onNotice);
        if (resume.state === TicketState.matched) await service.store.requeue(ticket.id);
        // this node's queue room holds it now (a dead node's record is what let it resume)
        await service.players.update(playerIds, ticket.id, { state: PlayerQueueState.queued, matchId: null, ...(service.nodeId ? { node: service.nodeId } : {}) }, now);
      } else {
        // a party plays from the regions every member can reach; the worst member's latency counts
        const lat: Record<string, number> = {};
        for (const region of Object.keys(members[0].join.latencies)) {
          if (members.every((m) => region in m.join.latencies)) lat[region] = Math.max(...members.map((m) => m.join.latencies[region]));
        }
        const latencies = await service.knownLatencies(lat);
        // Home is this node's region: the one region whose latency the node verified (matchmaker/latency.ts).
        const region = service.deps.region;
        const playerRatings = await Promise.all(playerIds.map((id) => service.deps.ratingOf(id, mode)));
        try {
          ticket = makeTicket({ id: `t_${randomUUID()}`, mode, playerIds, partyId, playerRatings, region, latencies, enqueuedAt: now });
        } catch (e) {
          throw refuse(QueueErrorCode.MM_BAD_OPTIONS, e instanceof TicketError ? e.message : String(e));
        }
        const conflict = await service.players.take(members.map((m) => ({ playerId: m.playerId, name: m.name })), ticket.id, now, service.nodeId || undefined);
        if (conflict) throw refuse(conflict.state === PlayerQueueState.queued ? QueueErrorCode.MM_ALREADY_QUEUED : QueueErrorCode.MM_ALREADY_IN_MATCH, "a player of this ticket is already queued or in a match");
        await this.presence.subscribe(seatTopic(ticket.id), onNotice);
        try {
          // the ticket waits in the region shard of its home region; matches never cross shards
          await service.store.add(ticket, service.shardOf(mode, ticket.region));
        } catch (e) {
          this.presence.unsubscribe(seatTopic(ticket.id), onNotice);
          await service.players.release(playerIds, ticket.id);
          throw refuse(QueueErrorCode.MM_ALREADY_QUEUED, (e as Error).message);
        }
        metrics.queued.inc({ mode });
      }
      this.held.set(ticket.id, { ticket, sessionIds: members.map((m) => m.sessionId), state: "searching", onNotice });
      for (const m of members) {
        m.ticketId = ticket.id;
        this.sendStatus(m);
      }
      // a member who left while the ticket was being made cancels it now
      if (members.some((m) => !this.entries.has(m.sessionId))) await this.cancel(ticket.id, "PARTY_MEMBER_LEFT");
    }

    private onNotice(ticketId: string, notice: SeatNotice): void {
      const held = this.held.get(ticketId);
      if (!held) return;
      if (notice.kind === "requeued") {
        held.state = "searching";
        for (const sid of held.sessionIds) {
          const e = this.entries.get(sid);
          if (e) this.sendStatus(e);
        }
        return;
      }
      held.state = "matched";
      for (const sid of held.sessionIds) {
        const entry = this.entries.get(sid);
        const seat = entry && notice.seats[entry.playerId];
        if (!entry || !seat) continue;
        entry.seat = seat;
        this.sendStatus(entry);
        this.clients.getById(sid)?.send("seat", seat);
      }
      this.presence.unsubscribe(seatTopic(ticketId), held.onNotice);
    }

    /** Cancel a waiting ticket for all its players (a member left). A matched ticket is past cancelling. */
    private async cancel(ticketId: string, reason: string): Promise<void> {
      const held = this.held.get(ticketId);
      if (!held || held.state === "matched") return;
      const cancelled = await service.store.cancel(ticketId);
      if (!cancelled) return;
      this.held.delete(ticketId);
      this.presence.unsubscribe(seatTopic(ticketId), held.onNotice);
      await service.players.release(held.ticket.playerIds, ticketId);
      await service.store.remove(ticketId);
      for (const sid of held.sessionIds) {
        const entry = this.entries.get(sid);
        if (!entry) continue;
        entry.ticketId = undefined;
        const client = this.clients.getById(sid);
        if (!client) continue;
        client.send("status", this.statusOf(entry, "cancelled", reason));
        if (entry.join.partyId) {
          this.entries.delete(sid);
          client.leave(CloseCode.CONSENTED);
        }
      }
      if (held.ticket.partyId) this.gathers.delete(held.ticket.partyId);
    }

    override onDrop(client: Client): void {
      const entry = this.entries.get(client.sessionId);
      if (!entry || entry.confirmed) return;
      this.allowReconnection(client, service.queueGraceS).catch(() => undefined);
    }

    override onReconnect(client: Client): void {
      const entry = this.entries.get(client.sessionId);
      if (!entry) return;
      this.sendStatus(entry);
      if (entry.seat && !entry.confirmed) client.send("seat", entry.seat);
    }

    override async onLeave(client: Client): Promise<void> {
      const entry = this.entries.get(client.sessionId);
      if (!entry) return;
      this.entries.delete(client.sessionId);
      if (entry.confirmed || entry.seat) return; // on its way to the match (or a no-show the match room handles)
      if (entry.ticketId) {
        await this.cancel(entry.ticketId, entry.join.partyId ? "PARTY_MEMBER_LEFT" : "LEFT");
        return;
      }
      if (entry.join.partyId) {
        const gather = this.gathers.get(entry.join.partyId);
        gather?.members.delete(entry.playerId);
        if (gather && gather.members.size === 0) this.gathers.delete(entry.join.partyId);
      }
    }

    override async onDispose(): Promise<void> {
      for (const id of [...this.held.keys()]) await this.cancel(id, "QUEUE_CLOSED").catch(() => undefined);
    }

    private statusOf(entry: Entry, state: QueueStatus["state"], reason?: string): QueueStatus {
      const held = entry.ticketId ? this.held.get(entry.ticketId) : undefined;
      const now = service.deps.now();
      const rules = service.modes[entry.join.mode]!.rules;
      const base = held ? service.status(held.ticket, now)
        : { waitedMs: 0, estimatedWaitMs: null, estimateBasis: 0, skillWindow: rules.skillWindow.start, regions: [], botsAtS: rules.bots === false ? null : rules.bots.afterS, nextRegionsAtS: null, nextRegions: [] };
      const gather = entry.join.partyId ? this.gathers.get(entry.join.partyId) : undefined;
      return {
        state, mode: entry.join.mode, ...base, region: held?.ticket.region ?? null,
        ...(gather ? { party: { connected: gather.members.size, size: gather.party.memberIds.length } } : {}),
        ...(reason ? { reason } : {}),
      };
    }

    private sendStatus(entry: Entry): void {
      const held = entry.ticketId ? this.held.get(entry.ticketId) : undefined;
      const state = !held ? "gathering" : held.state === "matched" ? "matched" : "searching";
      this.clients.getById(entry.sessionId)?.send("status", this.statusOf(entry, state));
    }

    private async heartbeat(): Promise<void> {
      for (const entry of this.entries.values()) if (!entry.confirmed) this.sendStatus(entry);
      // keep this node's claim on its tickets fresh (a record not refreshed belongs to a dead queue)
      if (++this.beat % 3 !== 0 || this.syncing) return;
      this.syncing = true;
      try {
        await this.syncTickets();
      } finally {
        this.syncing = false;
      }
    }

    private async syncTickets(): Promise<void> {
      const now = service.deps.now();
      for (const held of [...this.held.values()]) {
        if (held.state !== "searching") continue;
        await service.players.update(held.ticket.playerIds, held.ticket.id, {}, now).catch(() => undefined);
        // Redis restarted without its data: the ticket is gone from the store, never from this room
        const stored = await service.store.get(held.ticket.id).catch(() => null);
        if (stored === undefined && this.held.get(held.ticket.id) === held && held.state === "searching") await this.restore(held).catch((err) => service.deps.logger.warn({ err, ticketId: held.ticket.id }, "queue ticket not restored"));
      }
    }

    /**
     * Writes a ticket the store lost back as it was (original enqueue time, party, latencies,
     * ratings, home region) and takes its players' records again. A player who meanwhile holds
     * another ticket ends this one (the players are told `cancelled`, reason TICKET_LOST).
     */
    private async restore(held: Held): Promise<void> {
      const { ticket } = held;
      const now = service.deps.now();
      const names = new Map([...this.entries.values()].map((e) => [e.playerId, e.name]));
      const players = ticket.playerIds.map((playerId) => ({ playerId, name: names.get(playerId) ?? playerId }));
      const conflict = await service.players.take(players, ticket.id, now, service.nodeId || undefined);
      if (conflict) {
        this.held.delete(ticket.id);
        this.presence.unsubscribe(seatTopic(ticket.id), held.onNotice);
        for (const sid of held.sessionIds) {
          const entry = this.entries.get(sid);
          if (!entry) continue;
          entry.ticketId = undefined;
          this.clients.getById(sid)?.send("status", this.statusOf(entry, "cancelled", "TICKET_LOST"));
        }
        if (ticket.partyId) this.gathers.delete(ticket.partyId);
        return;
      }
      try {
        await service.store.add(ticket, service.shardOf(ticket.mode, ticket.region));
      } catch (e) {
        if (!(e instanceof TicketError)) throw e; // MM_DUPLICATE_TICKET: it is back already
      }
      metrics.requeues.inc({ mode: ticket.mode, reason: "restored" });
      service.deps.logger.info({ ticketId: ticket.id, mode: ticket.mode, enqueuedAt: ticket.enqueuedAt }, "queue ticket restored (the store had lost it)");
    }
  };
}
