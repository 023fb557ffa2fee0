/**
 * Ranked matchmaking through Rally's `queue` room: join with `{ mode, partyId?, latencies? }`, surface
 * `status` while searching, and on `seat` do exactly what a Colyseus QueueRoom client does: send
 * `confirm`, then `consumeSeatReservation`. Resolves with the match room.
 *
 *   const match = await queue(rally, { mode: "arena", onStatus: (s) => show(s.estimatedWaitMs) });
 *
 * Accept or decline (modes with `acceptS`): before any seat, the server proposes the match; pass
 * `onProposal` and answer with the proposal's `accept()` or `decline()` before `deadlineMs`:
 *
 *   await queue(rally, { mode: "ranked", onProposal: (p) => (confirmDialog() ? p.accept() : p.decline()) });
 *
 * When everyone accepted, `seat` follows as usual. If another player declined or did not answer, the
 * ticket waits again (status `searching`, its original enqueue time); a player who declined (or did not
 * accept in time) gets a `cancelled` status (PROPOSAL_DECLINED / PROPOSAL_TIMEOUT: the promise rejects
 * with that code) and a queue cooldown: `queue()` rejects with MM_COOLDOWN until it ran out.
 *
 * If the match room later sends `requeue` (someone never connected), call `queue()` again with the
 * same options: the server resumes the same ticket with its original enqueue time.
 */
import type { Client, Room } from "@colyseus/sdk";
import type { ProposalNotice, QueueJoinOptions, QueueStatus, RoomErrorMessage, SeatReservation } from "../protocol/index.ts";
import { QueueMessage } from "../protocol/messages.ts";
import { decodeRefusal } from "../protocol/errors.ts";
import { RallyRoomError, toRoomError } from "./errors.ts";

/** What the server streams while a ticket waits (protocol/queue.ts). */
export type { QueueStatus };

/** A match proposal to answer (modes with `acceptS`): the notice's fields, and the two answers. */
export interface Proposal extends ProposalNotice {
  /** Take the proposed match (the seat follows once every player accepted). */
  accept(): void;
  /** Refuse it: this ticket ends and a queue cooldown follows. */
  decline(): void;
}

export interface QueueOptions extends QueueJoinOptions {
  onStatus?: (status: QueueStatus) => void;
  /** A match was proposed (modes with `acceptS`): call `accept()` or `decline()` before `deadlineMs`, or the ticket ends. */
  onProposal?: (proposal: Proposal) => void;
  /** Abort to leave the queue (the ticket is cancelled; for a party, for everyone). */
  signal?: AbortSignal;
}

/** Anything holding a Colyseus client: the Colyseus `Client` itself or a `RallyClient`. */
export type QueueClient = Client | { readonly colyseus: Client };

/** Queue for a match; resolves with the joined match room. Rejects with a RallyRoomError on refusal or cancel. */
export async function queue<S = unknown>(client: QueueClient, options: QueueOptions): Promise<Room<unknown, S>> {
  const colyseus: Client = "colyseus" in client ? client.colyseus : client;
  const { onStatus, onProposal, signal, ...join } = options;
  const body: { -readonly [K in keyof QueueJoinOptions]: QueueJoinOptions[K] } = { mode: join.mode };
  if (join.partyId !== undefined) body.partyId = join.partyId;
  if (join.latencies !== undefined) body.latencies = join.latencies;
  if (join.attributes !== undefined) body.attributes = join.attributes;
  if (signal?.aborted) throw new RallyRoomError("MM_CANCELLED", "queueing was aborted", 0);
  let room: Room;
  try {
    room = await colyseus.joinOrCreate("queue", body);
  } catch (e) {
    throw toRoomError(e);
  }
  return new Promise<Room<unknown, S>>((resolve, reject) => {
    let settled = false;
    const fail = (err: RallyRoomError) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (room.connection?.isOpen) void room.leave(true).catch(() => undefined);
      reject(err);
    };
    const onAbort = () => fail(new RallyRoomError("MM_CANCELLED", "queueing was aborted", 0));
    signal?.addEventListener("abort", onAbort, { once: true });
    room.onMessage(QueueMessage.STATUS, (s: QueueStatus) => {
      onStatus?.(s);
      if (s.state === "cancelled") fail(new RallyRoomError(s.reason ?? "MM_CANCELLED", "the ticket was cancelled", 0));
    });
    room.onMessage(QueueMessage.ERROR, (e: RoomErrorMessage) => {
      const { code, message } = decodeRefusal(e);
      // a late or repeated answer to a proposal is refused and changes nothing: the queueing goes on
      if (code === "MM_NO_PROPOSAL") return;
      fail(new RallyRoomError(code, message, 0));
    });
    room.onMessage(QueueMessage.PROPOSAL, (p: ProposalNotice) => {
      if (settled) return;
      const answer = (type: typeof QueueMessage.ACCEPT | typeof QueueMessage.DECLINE) => () => {
        if (!settled && room.connection?.isOpen) room.send(type, { matchId: p.matchId });
      };
      onProposal?.({ ...p, accept: answer(QueueMessage.ACCEPT), decline: answer(QueueMessage.DECLINE) });
    });
    room.onMessage(QueueMessage.SEAT, async (reservation: SeatReservation) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      room.send(QueueMessage.CONFIRM); // the server closes the queue connection, as Colyseus' QueueRoom does
      try {
        resolve(await colyseus.consumeSeatReservation<S>(reservation as Parameters<Client["consumeSeatReservation"]>[0]));
      } catch (e) {
        reject(toRoomError(e));
      }
    });
    room.onLeave((code: number) => {
      if (!settled) fail(new RallyRoomError("MM_QUEUE_CLOSED", `the queue connection closed (${code})`, code));
    });
  });
}
