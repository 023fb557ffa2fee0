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
import { CloseCode, Room, type Client } from "@colyseus/core";
import {
  codeOf, decodeRefusal, isRallyError, partyIdSchema, proposalAnswerSchema, QueueMessage, queueJoinSchema, SERVER_ONLY_QUEUE_OPTIONS,
  type ProposalNotice, type QueueCancelReason, type QueueStatus,
} from "../protocol/index.ts";
import { encodeRefusal } from "../protocol/server.ts";
import type { QueueParty } from "./party.ts";
import { PROPOSAL_FALLBACK_MS, seatTopic, type MatchmakerService, type SeatNotice, type SeatReservation } from "./service.ts";
import { verifyLatencies } from "./latency.ts";
import { parseTicketAttributes, type TicketAttributes } from "./attributes.ts";
import { statusStateOf, TicketLifecycleError, TicketPhase, type TicketHandle } from "./ticket-lifecycle.ts";

/** Join options as the queue room uses them, parsed once (protocol/queue.ts `queueJoinSchema` is the wire shape). */
export interface QueueJoin {
  readonly mode: string;
  readonly partyId?: string;
  readonly latencies: Record<string, number>;
  /** the mode's ticket attributes, validated by its schema */
  readonly attributes?: TicketAttributes;
}

/** Validate untrusted join options; throws a refusal (encodeRefusal). */
export function parseQueueJoin(options: unknown, service: MatchmakerService): QueueJoin {
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw encodeRefusal("MM_BAD_OPTIONS", "join options must be an object");
  for (const key of SERVER_ONLY_QUEUE_OPTIONS) {
    if (key in options) throw encodeRefusal("MM_FORBIDDEN_OPTION", `"${key}" is set by the server, never by the client`);
  }
  const parsed = queueJoinSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw encodeRefusal("MM_BAD_OPTIONS", `${issue?.message ?? "invalid"}${issue?.path.length ? ` at ${issue.path.join(".")}` : ""}`);
  }
  const { mode, partyId, latencies } = parsed.data;
  if (!Object.hasOwn(service.modes, mode)) throw encodeRefusal("MM_UNKNOWN_MODE", `no queue mode "${mode}" (known: ${Object.keys(service.modes).join(", ")})`);
  let party: string | undefined;
  if (partyId !== undefined) {
    const p = partyIdSchema.safeParse(partyId);
    if (!p.success) throw encodeRefusal("MM_BAD_PARTY", `partyId: ${p.error.issues[0]?.message}`);
    party = p.data;
  }
  let attributes: TicketAttributes | undefined;
  try {
    attributes = parseTicketAttributes(service.modes[mode]!.rules, parsed.data.attributes);
  } catch (e) {
    throw refusal(e);
  }
  return { mode, partyId: party, latencies: latencies ?? {}, ...(attributes ? { attributes } : {}) };
}

/** The refusal for a failed ticket step: coded errors keep their code (the client reads it before the colon). */
function refusal(e: unknown): unknown {
  if (e instanceof TicketLifecycleError) return encodeRefusal(e.code, e.message, e.detail.match ? { match: e.detail.match } : undefined);
  if (isRallyError(e)) return encodeRefusal(e.code === "MM_INVALID_TICKET" ? "MM_BAD_OPTIONS" : e.code, e.message);
  return e;
}

interface Identity { readonly playerId: string; readonly name: string }

/**
 * What `onAuth` hands to `onJoin` (Colyseus puts it in `client.auth`): the identity, the join options
 * parsed once, and the party checked once. Plain data: a party's queue room may be on another node,
 * so it crosses processes with the seat reservation.
 */
export interface QueueAuth extends Identity {
  readonly join: QueueJoin;
  readonly party: QueueParty | null;
  /** a seat handed out for this player that never reached it (`undeliveredSeat`): handed over on this connection */
  readonly seat?: { readonly ticketId: string; readonly reservation: SeatReservation };
}

interface Entry {
  readonly sessionId: string;
  readonly playerId: string;
  readonly name: string;
  readonly join: QueueJoin;
  ticketId?: string;
  seat?: SeatReservation;
  confirmed: boolean;
}

/** A ticket this room holds: the lifecycle's handle (its phase as this room knows it) and who is connected for it. */
interface Held {
  handle: TicketHandle;
  readonly sessionIds: string[];
  readonly onNotice: (n: SeatNotice) => void;
  /** the match proposed to its players, while they answer (modes with `acceptS`) */
  proposal?: ProposalNotice;
  /** a fallback settle is running (the leader may be dead) */
  settling?: boolean;
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

/**
 * The `queue` room class bound to this node's matchmaker and token check. A thin adapter: it parses
 * a join once (`onAuth`), keeps the connections of the tickets it holds, and asks the service for
 * every ticket step (`prepareTicket`, `listTicket`, `tickets.*`); it never writes a store itself.
 */
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

    /** Token, options, party and standing, checked before any room or ticket exists; the result is `client.auth`. */
    static override async onAuth(token: string, options: unknown): Promise<QueueAuth> {
      let identity: Identity;
      try {
        identity = await deps.verifyAccess(token || undefined);
      } catch (e) {
        const code = codeOf(e, "AUTH_INVALID_TOKEN");
        metrics.refused.inc({ code });
        throw encodeRefusal(code, e instanceof Error ? e.message : "invalid token");
      }
      try {
        const join = parseQueueJoin(options, service);
        const party = join.partyId ? await service.partyFor(join.partyId, identity.playerId, join.mode).catch((e: unknown) => { throw refusal(e); }) : null;
        // the player's standing, read once for both questions
        const standing = await service.tickets.standing(identity.playerId);
        const seat = await service.undeliveredSeat(identity.playerId, standing);
        if (seat) return { ...identity, join, party, seat };
        const block = await service.blocking(identity.playerId, standing);
        if (block?.code === "MM_ALREADY_QUEUED") throw encodeRefusal(block.code, "this player is already in a queue");
        // the live match rides in the refusal's details: the client can go back to it (README "Rejoin a live match")
        if (block?.code === "MM_ALREADY_IN_MATCH") throw encodeRefusal(block.code, "this player is in a match", block.match ? { match: block.match } : undefined);
        // a declined or missed proposal: no queueing until the mode's cooldown ran out
        const until = await service.cooldownOf(identity.playerId);
        if (until !== null) {
          const retryAfterS = Math.max(1, Math.ceil((until - service.deps.now()) / 1000));
          throw encodeRefusal("MM_COOLDOWN", `declined or missed a match proposal; queue again in ${retryAfterS} s`, { retryAfterS });
        }
        return { ...identity, join, party };
      } catch (e) {
        metrics.refused.inc({ code: codeOf(e, "INTERNAL") });
        throw e;
      }
    }

    /** The mode this client queues for, once its join went through (presence shows "in queue" with it). */
    queuedMode(client: Client): string | null {
      return this.entries.get(client.sessionId)?.join.mode ?? null;
    }

    override onCreate(): void {
      this.onMessage(QueueMessage.CONFIRM, (client: Client) => {
        const entry = this.entries.get(client.sessionId);
        if (!entry?.seat || entry.confirmed) return;
        entry.confirmed = true;
        // the seat reached its player: the record stops naming this queue node (a matched record
        // still naming a dead one is a seat that never arrived: service.ts matchOf, releaseDeadNodes)
        if (entry.ticketId) void service.tickets.detachQueueNode([entry.playerId], entry.ticketId, service.deps.now()).catch(() => undefined);
        client.leave(CloseCode.NORMAL_CLOSURE);
      });
      this.onMessage(QueueMessage.ACCEPT, (client: Client, payload: unknown) => void this.answer(client, "accept", payload));
      this.onMessage(QueueMessage.DECLINE, (client: Client, payload: unknown) => void this.answer(client, "decline", payload));
      this.onMessage("*", (client: Client, type: string | number) => {
        client.send(QueueMessage.ERROR, { code: "UNKNOWN_MESSAGE", message: `no message type "${String(type)}" in queue` });
      });
      this.clock.setInterval(() => void this.heartbeat(), 1000);
    }

    override async onJoin(client: Client, _options: unknown, auth?: QueueAuth): Promise<void> {
      if (!auth?.join) throw encodeRefusal("AUTH_MISSING_TOKEN", "no identity");
      // Client-reported latencies count only within what this node measured (matchmaker/latency.ts).
      const measured = deps.measureRtt ? await deps.measureRtt(client) : null;
      const join: QueueJoin = { ...auth.join, latencies: verifyLatencies(auth.join.latencies, service.deps.region, measured).latencies };
      const party = auth.party;
      const entry: Entry = { sessionId: client.sessionId, playerId: auth.playerId, name: auth.name, join, confirmed: false };
      if (auth.seat) {
        // its seat never reached it: handed over here (then `confirm` as for any seat)
        entry.ticketId = auth.seat.ticketId;
        entry.seat = auth.seat.reservation;
        this.entries.set(client.sessionId, entry);
        this.sendStatus(entry);
        client.send(QueueMessage.SEAT, entry.seat);
        return;
      }
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
      if (gather && gather.mode !== join.mode) throw encodeRefusal("MM_BAD_PARTY", `the party is queueing for "${gather.mode}"`);
      if (gather?.members.has(auth.playerId)) throw encodeRefusal("MM_ALREADY_QUEUED", "this player is already in this party's queue");
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
            const refusal = decodeRefusal(e);
            c?.send(QueueMessage.ERROR, refusal.code === "ROOM_ERROR" ? { code: "MM_ERROR", message: e.message } : refusal);
            this.entries.delete(m.sessionId);
            c?.leave(CloseCode.CONSENTED);
          }
          this.gathers.delete(party.partyId);
        });
      }
    }

    /** Make (or resume) the ticket for these players. Throws a refusal (encodeRefusal), changing nothing. */
    private async enqueue(members: Entry[], partyId: string | undefined): Promise<void> {
      const mode = members[0].join.mode;
      let handle: TicketHandle;
      try {
        handle = await service.prepareTicket({ mode, partyId, members: members.map((m) => ({ playerId: m.playerId, name: m.name, latencies: m.join.latencies, attributes: m.join.attributes })) });
      } catch (e) {
        throw refusal(e);
      }
      const ticketId = handle.ticket.id;
      const onNotice = (n: SeatNotice) => this.onNotice(ticketId, n);
      // subscribed before the ticket is listed: no seat notice can come before it
      await this.presence.subscribe(seatTopic(ticketId), onNotice);
      try {
        handle = await service.listTicket(handle);
      } catch (e) {
        this.presence.unsubscribe(seatTopic(ticketId), onNotice);
        // a new ticket the store refused (its id is known): its records were released
        throw handle.phase === TicketPhase.queued ? encodeRefusal("MM_ALREADY_QUEUED", (e as Error).message) : e;
      }
      this.held.set(ticketId, { handle, sessionIds: members.map((m) => m.sessionId), onNotice });
      for (const m of members) {
        m.ticketId = ticketId;
        this.sendStatus(m);
      }
      // a member who left while the ticket was being made cancels it now
      if (members.some((m) => !this.entries.has(m.sessionId))) await this.cancel(ticketId, "PARTY_MEMBER_LEFT");
    }

    /**
     * `accept` / `decline` of a proposal: checked (payload, the proposal this client's ticket holds)
     * and recorded in the proposal store, where the leader reads it. A bad one gets `error` and changes nothing.
     */
    private async answer(client: Client, answer: "accept" | "decline", payload: unknown): Promise<void> {
      const parsed = proposalAnswerSchema.safeParse(payload);
      if (!parsed.success) {
        client.send(QueueMessage.ERROR, { code: "INVALID_MESSAGE", message: `${answer}: ${parsed.error.issues[0]?.message ?? "invalid"} (expected { matchId })` });
        return;
      }
      const entry = this.entries.get(client.sessionId);
      const held = entry?.ticketId ? this.held.get(entry.ticketId) : undefined;
      if (!entry || !held?.proposal || held.handle.phase !== TicketPhase.proposed || held.proposal.matchId !== parsed.data.matchId) {
        client.send(QueueMessage.ERROR, { code: "MM_NO_PROPOSAL", message: `no open proposal ${parsed.data.matchId} for this player` });
        return;
      }
      const result = await service.answerProposal(parsed.data.matchId, entry.playerId, answer).catch(() => "unknown" as const);
      if (result !== "ok") client.send(QueueMessage.ERROR, { code: "MM_NO_PROPOSAL", message: `proposal ${parsed.data.matchId}: ${result === "answered" ? "already answered" : result === "closed" ? "already settled" : "unknown"}` });
    }

    private onNotice(ticketId: string, notice: SeatNotice): void {
      const held = this.held.get(ticketId);
      if (!held) return;
      if (notice.kind === "proposal") {
        const { kind: _, ...proposal } = notice;
        held.handle = { ...held.handle, phase: TicketPhase.proposed, matchId: notice.matchId };
        held.proposal = proposal;
        for (const sid of held.sessionIds) {
          const e = this.entries.get(sid);
          if (!e) continue;
          this.sendStatus(e);
          this.clients.getById(sid)?.send(QueueMessage.PROPOSAL, proposal);
        }
        return;
      }
      if (notice.kind === "dropped") {
        if (held.handle.matchId !== notice.matchId) return;
        this.held.delete(ticketId);
        this.presence.unsubscribe(seatTopic(ticketId), held.onNotice);
        this.dropHeld(held, "cancelled", notice.reason, true, true);
        return;
      }
      held.proposal = undefined;
      if (notice.kind === "requeued") {
        this.waitAgain(held);
        return;
      }
      held.handle = { ...held.handle, phase: TicketPhase.seated, matchId: notice.matchId };
      for (const sid of held.sessionIds) {
        const entry = this.entries.get(sid);
        const seat = entry && notice.seats[entry.playerId];
        if (!entry || !seat) continue;
        entry.seat = seat;
        this.sendStatus(entry);
        this.clients.getById(sid)?.send(QueueMessage.SEAT, seat);
      }
      this.presence.unsubscribe(seatTopic(ticketId), held.onNotice);
    }

    /**
     * The held ticket waits again (its match fell through). After a proposal, a player who left the
     * queue meanwhile (leaving then only declines) cancels it now, as leaving a waiting ticket does.
     */
    private waitAgain(held: Held): void {
      const proposed = held.handle.phase === TicketPhase.proposed;
      held.handle = { ...held.handle, phase: TicketPhase.searching, matchId: undefined };
      held.proposal = undefined;
      for (const sid of held.sessionIds) {
        const e = this.entries.get(sid);
        if (e) this.sendStatus(e);
      }
      if (proposed && held.sessionIds.some((sid) => !this.entries.has(sid))) {
        void this.cancel(held.handle.ticket.id, held.handle.ticket.partyId ? "PARTY_MEMBER_LEFT" : "LEFT").catch(() => undefined);
      }
    }

    /** Cancel a waiting ticket for all its players (a member left). A matched ticket is past cancelling. */
    private async cancel(ticketId: string, reason: QueueCancelReason): Promise<void> {
      const held = this.held.get(ticketId);
      if (!held || held.handle.phase !== TicketPhase.searching) return;
      const cancelled = await service.tickets.cancel(held.handle);
      if (!cancelled) return;
      this.held.delete(ticketId);
      this.presence.unsubscribe(seatTopic(ticketId), held.onNotice);
      this.dropHeld(held, "cancelled", reason);
    }

    /** The room lets go of a ticket: its players are told `state` (and why); party members leave the queue. */
    private dropHeld(held: Held, state: "cancelled", reason: QueueCancelReason, leaveParty = true, leaveAll = false): void {
      for (const sid of held.sessionIds) {
        const entry = this.entries.get(sid);
        if (!entry) continue;
        entry.ticketId = undefined;
        const client = this.clients.getById(sid);
        if (!client) continue;
        client.send(QueueMessage.STATUS, this.statusOf(entry, state, reason));
        if (leaveAll || (leaveParty && entry.join.partyId)) {
          this.entries.delete(sid);
          client.leave(CloseCode.CONSENTED);
        }
      }
      if (held.handle.ticket.partyId) this.gathers.delete(held.handle.ticket.partyId);
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
      if (entry.seat && !entry.confirmed) client.send(QueueMessage.SEAT, entry.seat);
      const held = entry.ticketId ? this.held.get(entry.ticketId) : undefined;
      if (held?.proposal && held.handle.phase === TicketPhase.proposed) client.send(QueueMessage.PROPOSAL, held.proposal);
    }

    override async onLeave(client: Client): Promise<void> {
      const entry = this.entries.get(client.sessionId);
      if (!entry) return;
      this.entries.delete(client.sessionId);
      if (entry.confirmed || entry.seat) return; // on its way to the match (or a no-show the match room handles)
      const held = entry.ticketId ? this.held.get(entry.ticketId) : undefined;
      if (held?.proposal && held.handle.phase === TicketPhase.proposed) {
        // leaving during a proposal declines it (the others need not wait for the deadline); a
        // player who answered already keeps the answer
        await service.answerProposal(held.proposal.matchId, entry.playerId, "decline").catch(() => undefined);
        return;
      }
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

    private statusOf(entry: Entry, state: QueueStatus["state"], reason?: QueueCancelReason): QueueStatus {
      const held = entry.ticketId ? this.held.get(entry.ticketId) : undefined;
      const now = service.deps.now();
      const rules = service.modes[entry.join.mode]!.rules;
      const base = held ? service.status(held.handle.ticket, now)
        : { waitedMs: 0, estimatedWaitMs: null, estimateBasis: 0, skillWindow: rules.skillWindow.start, regions: [], botsAtS: rules.bots === false ? null : rules.bots.afterS, nextRegionsAtS: null, nextRegions: [] };
      const gather = entry.join.partyId ? this.gathers.get(entry.join.partyId) : undefined;
      return {
        state, mode: entry.join.mode, ...base, regions: [...base.regions], nextRegions: [...base.nextRegions], region: held?.handle.ticket.region ?? null,
        ...(gather ? { party: { connected: gather.members.size, size: gather.party.memberIds.length } } : {}),
        ...(reason ? { reason } : {}),
      };
    }

    private sendStatus(entry: Entry): void {
      const held = entry.ticketId ? this.held.get(entry.ticketId) : undefined;
      this.clients.getById(entry.sessionId)?.send(QueueMessage.STATUS, this.statusOf(entry, entry.seat && !held ? "matched" : statusStateOf(held?.handle.phase)));
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
        if (held.handle.phase === TicketPhase.proposed && held.proposal && now >= held.proposal.deadlineMs + PROPOSAL_FALLBACK_MS) {
          await this.settleProposal(held).catch((err) => service.deps.logger.warn({ err, ticketId: held.handle.ticket.id }, "proposal not settled"));
          continue;
        }
        if (held.handle.phase !== TicketPhase.searching) continue;
        await service.tickets.refresh(held.handle, now).catch(() => undefined);
        // Redis restarted without its data: the ticket is gone from the store, never from this room
        const stored = await service.tickets.stored(held.handle.ticket.id).catch(() => null);
        if (stored === undefined && this.held.get(held.handle.ticket.id) === held && held.handle.phase === TicketPhase.searching) await this.restore(held).catch((err) => service.deps.logger.warn({ err, ticketId: held.handle.ticket.id }, "queue ticket not restored"));
      }
    }

    /**
     * The proposal's deadline is past and no outcome arrived: its leader may have died. The room
     * settles it for its own ticket (`settleProposalFor`); a ticket that vanished meanwhile (the dead
     * leader's records were reaped) waits again here and the next sync writes it back.
     */
    private async settleProposal(held: Held): Promise<void> {
      if (held.settling) return;
      held.settling = true;
      try {
        const next = await service.settleProposalFor(held.handle);
        if (this.held.get(held.handle.ticket.id) !== held || held.handle.phase !== TicketPhase.proposed) return; // a notice came first
        if (next === "searching") this.waitAgain(held);
        // cancelled: the `dropped` notice this settle published ends it; wait: the leader provisions
      } finally {
        held.settling = false;
      }
    }

    /**
     * Writes a ticket the store lost back as it was (`TicketLifecycle.restore`). A player who
     * meanwhile holds another ticket ends this one (the players are told `cancelled`, reason TICKET_LOST).
     */
    private async restore(held: Held): Promise<void> {
      const { ticket } = held.handle;
      const names = new Map([...this.entries.values()].map((e) => [e.playerId, e.name]));
      const players = ticket.playerIds.map((playerId) => ({ playerId, name: names.get(playerId) ?? playerId }));
      if (await service.restoreTicket(held.handle, players)) return;
      this.held.delete(ticket.id);
      this.presence.unsubscribe(seatTopic(ticket.id), held.onNotice);
      this.dropHeld(held, "cancelled", "TICKET_LOST", false);
    }
  };
}
