/**
 * Builds one node's matchmaker from plain dependencies: Redis-backed store, player index and lease
 * when a Redis URL is given (cluster), memory and a local lease otherwise; the Colyseus matchMaker
 * for provisioning. The game node (server/node) calls this; nothing here reads the environment.
 */
import { randomBytes } from "node:crypto";
import { matchMaker } from "@colyseus/core";
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { z } from "zod";
import { heldSeatSchema } from "../protocol/index.ts";
import { MemoryBackfillStore, RedisBackfillStore } from "./backfill-store.ts";
import { LocalLease, RedisLease } from "./lease.ts";
import { MemoryTicketStore } from "./ticket-store.ts";
import { RedisTicketStore } from "./ticket-store-redis.ts";
import { MemoryPlayerIndex, RedisPlayerIndex } from "./player-index.ts";
import { MemoryPartyDirectory } from "./party.ts";
import { MemoryProposalStore, RedisProposalStore } from "./proposal-store.ts";
import { createMatchmakerMetrics } from "./metrics.ts";
import { MatchmakerService, type MatchmakerDeps, type RoomApi, type SeatReservation } from "./service.ts";

/** How long `heldSeat` and `admitBackfill` wait for the room's node (Colyseus' default for a remote room call is 2 s). */
const HELD_SEAT_TIMEOUT_MS = 1000;

/** Provisioning through Colyseus' matchMaker: placement by the server's selectProcessIdToCreateRoom. */
export const colyseusRoomApi: RoomApi = {
  createRoom: (roomName, options) => matchMaker.createRoom(roomName, options),
  reserveMultipleSeatsFor: (listing, seats) => matchMaker.reserveMultipleSeatsFor(listing as Parameters<typeof matchMaker.reserveMultipleSeatsFor>[0], seats),
  buildSeatReservation: (listing, sessionId) => matchMaker.buildSeatReservation(listing as Parameters<typeof matchMaker.buildSeatReservation>[0], sessionId) as unknown as SeatReservation,
  disposeRoom: async (roomId) => { await matchMaker.remoteRoomCall(roomId, "disconnect"); },
  matchAlive: async (matchId) => (await matchMaker.query({ matchId } as never)).length > 0,
  newSessionId: () => randomBytes(9).toString("base64url"),
  async findMatch(matchId) {
    const [room] = await matchMaker.query({ matchId } as never);
    if (!room) return null;
    const mode = (room.metadata as { mode?: unknown } | undefined)?.mode;
    return { roomId: room.roomId, name: room.name, processId: room.processId, mode: typeof mode === "string" ? mode : null, ...(room.publicAddress ? { publicAddress: room.publicAddress } : {}) };
  },
  // The room answers from its node (remote room call over presence); zod at this process edge. A
  // short timeout: a room that does not answer within it is reported without seat facts.
  async heldSeat(roomId, playerId) {
    const answer: unknown = await matchMaker.remoteRoomCall(roomId, "heldSeat", [playerId], HELD_SEAT_TIMEOUT_MS);
    return answer === null || answer === undefined ? null : heldSeatSchema.parse(answer);
  },
  // the room checks its seats are still open and answers true or false; anything else counts as no
  async admitBackfill(roomId, admission) {
    const answer: unknown = await matchMaker.remoteRoomCall(roomId, "admitBackfill", [admission], HELD_SEAT_TIMEOUT_MS);
    return z.boolean().safeParse(answer).data === true;
  },
};

/** What the caller provides; the stores, lease, metrics and clock are built here (see MatchmakerDeps for each field). */
export interface MatchmakingOptions extends
  Pick<MatchmakerDeps, "modes" | "region" | "bus" | "logger" | "knownRegions" | "ratingOf" | "connectTimeoutS" | "queueGraceS" | "leaseTtlMs" | "nodeAlive">,
  Partial<Pick<MatchmakerDeps, "parties" | "rooms">> {
  /** Tickets, player records and leases; owned and closed by the caller. Unset: memory (one process). */
  readonly redis?: Redis;
  readonly metricsRegistry: Registry;
}

export interface Matchmaking {
  readonly service: MatchmakerService;
  close(): Promise<void>;
}

export function createMatchmaking(o: MatchmakingOptions): Matchmaking {
  const now = () => Date.now();
  const redis = o.redis;
  const service = new MatchmakerService({
    // The games' modes, checked at start (server/node/games.ts); the matchmaker knows no game of its own.
    modes: o.modes,
    store: redis ? new RedisTicketStore(redis) : new MemoryTicketStore(now),
    players: redis ? new RedisPlayerIndex(redis) : new MemoryPlayerIndex(now),
    lease: redis ? new RedisLease(redis, now) : new LocalLease(now),
    proposals: redis ? new RedisProposalStore(redis) : new MemoryProposalStore(now),
    backfills: redis ? new RedisBackfillStore(redis) : new MemoryBackfillStore(),
    parties: o.parties ?? new MemoryPartyDirectory(),
    rooms: o.rooms ?? colyseusRoomApi,
    bus: o.bus,
    metrics: createMatchmakerMetrics(o.metricsRegistry),
    logger: o.logger,
    region: o.region,
    knownRegions: o.knownRegions,
    ratingOf: o.ratingOf,
    now,
    connectTimeoutS: o.connectTimeoutS,
    queueGraceS: o.queueGraceS,
    leaseTtlMs: o.leaseTtlMs,
    nodeAlive: o.nodeAlive,
  });
  return {
    service,
    async close() {
      await service.stop();
    },
  };
}
