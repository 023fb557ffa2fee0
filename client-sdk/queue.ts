/**
 * Ranked matchmaking through Rally's `queue` room: join with `{ mode, partyId?, latencies? }`, surface
 * `status` while searching, and on `seat` do exactly what a Colyseus QueueRoom client does: send
 * `confirm`, then `consumeSeatReservation`. Resolves with the match room.
 *
 *   const match = await queue(rally, { mode: "arena", onStatus: (s) => show(s.estimatedWaitMs) });
 *
 * If the match room later sends `requeue` (someone never connected), call `queue()` again with the
 * same options: the server resumes the same ticket with its original enqueue time.
 */
import type { Client, Room } from "@colyseus/sdk";
import { RallyRoomError, toRoomError } from "./errors.ts";

/** What the server streams while a ticket waits (see matchmaker/queue-room.ts `QueueStatus`). */
export interface QueueStatus {
  state: "gathering" | "searching" | "matched" | "cancelled";
  mode: string;
  waitedMs: number;
  /** Remaining wait estimated from recent matches of this mode and region; null when unknown. */
  estimatedWaitMs: number | null;
  estimateBasis: number;
  skillWindow: number;
  regions: string[];
  /** Wait (s since the ticket was queued, like waitedMs) from which bots may fill empty seats; null: never in this mode. */
  botsAtS: number | null;
  /** Wait (s) at which more regions open to this ticket (`nextRegions`); null: no expansion left. */
  nextRegionsAtS: number | null;
  nextRegions: string[];
  region: string | null;
  party?: { connected: number; size: number };
  reason?: string;
}

export interface QueueOptions {
  mode: string;
  /** Every member of a party queues with the same id; the ticket starts once all are in. */
  partyId?: string;
  /** Measured round trip per region (ms); the server homes the ticket in the best region it knows. */
  latencies?: Record<string, number>;
  onStatus?: (status: QueueStatus) => void;
  /** Abort to leave the queue (the ticket is cancelled; for a party, for everyone). */
  signal?: AbortSignal;
}

/** Anything holding a Colyseus client: the Colyseus `Client` itself or a `RallyClient`. */
export type QueueClient = Client | { readonly colyseus: Client };

/** Queue for a match; resolves with the joined match room. Rejects with a RallyRoomError on refusal or cancel. */
export async function queue<S = unknown>(client: QueueClient, options: QueueOptions): Promise<Room<unknown, S>> {
  const colyseus: Client = "colyseus" in client ? client.colyseus : client;
  const { onStatus, signal, ...join } = options;
  const body: Record<string, unknown> = { mode: join.mode };
  if (join.partyId !== undefined) body.partyId = join.partyId;
  if (join.latencies !== undefined) body.latencies = join.latencies;
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
    room.onMessage("status", (s: QueueStatus) => {
      onStatus?.(s);
      if (s.state === "cancelled") fail(new RallyRoomError(s.reason ?? "MM_CANCELLED", "the ticket was cancelled", 0));
    });
    room.onMessage("error", (e: { code: string; message: string }) => fail(new RallyRoomError(e.code, e.message, 0)));
    room.onMessage("seat", async (reservation: Parameters<Client["consumeSeatReservation"]>[0]) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      room.send("confirm"); // the server closes the queue connection, as Colyseus' QueueRoom does
      try {
        resolve(await colyseus.consumeSeatReservation<S>(reservation));
      } catch (e) {
        reject(toRoomError(e));
      }
    });
    room.onLeave((code: number) => {
      if (!settled) fail(new RallyRoomError("MM_QUEUE_CLOSED", `the queue connection closed (${code})`, code));
    });
  });
}
