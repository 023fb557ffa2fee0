/**
 * The `queue` room's contract (matchmaker/queue-room.ts serves it, client-sdk/queue.ts speaks it):
 * join options, the messages both ways, `status`, `seat` and why a ticket was cancelled. The flow is
 * Colyseus' QueueRoom's: `status`* -> `seat` -> the client sends `confirm` -> the server closes the
 * queue connection (1000) -> the client consumes the seat reservation.
 */
import { z } from "zod";
import { QueueCancelReason } from "./messages.ts";

export { QueueCancelReason, QueueMessage } from "./messages.ts";

/** Join option keys only the server sets: a client sending one is refused (MM_FORBIDDEN_OPTION), never silently ignored. */
export const SERVER_ONLY_QUEUE_OPTIONS: readonly string[] = ["rating", "rank", "mmr", "mu", "sigma", "skill", "region", "team", "teamId", "teams", "playerId", "playerIds", "enqueuedAt", "matchId"];

export const regionNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "a region label");
export const partyIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, '-' or '_'");

/**
 * Join options of the `queue` room. `partyId` is checked apart (partyIdSchema) so a bad one is
 * refused as MM_BAD_PARTY rather than MM_BAD_OPTIONS.
 */
export const queueJoinSchema = z.object({
  mode: z.string().min(1).max(32),
  partyId: z.unknown().optional(),
  /** Measured round trip per region (ms); the server counts them only within what it measured itself. */
  latencies: z.record(regionNameSchema, z.number().finite().min(0).max(10_000))
    .refine((o) => Object.keys(o).length <= 32, "at most 32 regions").optional(),
  /** The mode's extra ticket attributes; the mode's own schema checks them (MM_BAD_ATTRIBUTES). */
  attributes: z.record(z.string(), z.unknown()).optional(),
}).strict();

/** What a client sends when it joins the `queue` room. */
export interface QueueJoinOptions {
  readonly mode: string;
  /** Every member of a party queues with the same id; the ticket starts once all are in. */
  readonly partyId?: string;
  readonly latencies?: Readonly<Record<string, number>>;
  /** Ticket attributes the mode declares (map preferences, input device...); party members send the same ones. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export const queueStatusSchema = z.object({
  /** `proposed`: a match waits for every player's `accept` (modes with `acceptS` only) */
  state: z.enum(["gathering", "searching", "proposed", "matched", "cancelled"]),
  mode: z.string(),
  waitedMs: z.number(),
  /** remaining wait from recent time-to-match of this mode and region; null when there is no honest figure */
  estimatedWaitMs: z.number().nullable(),
  /** how many recent matches the estimate is based on */
  estimateBasis: z.number(),
  /** current rating half-window */
  skillWindow: z.number(),
  /** regions this ticket may currently play in, home first */
  regions: z.array(z.string()),
  /** wait (s, the clock of waitedMs) from which bots may fill empty seats; null: this mode never uses bots */
  botsAtS: z.number().nullable(),
  /** wait (s) at which more regions open to this ticket; null: no expansion left */
  nextRegionsAtS: z.number().nullable(),
  /** the regions opening then, nearest first */
  nextRegions: z.array(z.string()),
  region: z.string().nullable(),
  /** party members connected / needed (parties only) */
  party: z.object({ connected: z.number(), size: z.number() }).readonly().optional(),
  /** set on `cancelled` */
  reason: z.enum([
    QueueCancelReason.LEFT, QueueCancelReason.PARTY_MEMBER_LEFT, QueueCancelReason.QUEUE_CLOSED, QueueCancelReason.TICKET_LOST,
    QueueCancelReason.PROPOSAL_DECLINED, QueueCancelReason.PROPOSAL_TIMEOUT,
  ]).optional(),
}).readonly();
/** What the server streams while a ticket waits. */
export type QueueStatus = z.infer<typeof queueStatusSchema>;

/** The Colyseus seat reservation (ISeatReservation) the client consumes; `seat` carries it. */
export const seatReservationSchema = z.looseObject({
  name: z.string(),
  sessionId: z.string(),
  roomId: z.string(),
  processId: z.string(),
  publicAddress: z.string().optional(),
}).readonly();
export type SeatReservation = z.infer<typeof seatReservationSchema>;

/**
 * `proposal` (modes with `acceptS`): the matcher formed a match; it is made only once every player
 * answered `accept` before `deadlineMs` (server clock, ms epoch). A `decline`, or a missing answer at
 * the deadline, drops it: tickets whose players all accepted go back to the queue with their original
 * enqueue time, the others end (`cancelled`, PROPOSAL_DECLINED / PROPOSAL_TIMEOUT) with a queue cooldown.
 */
export const proposalNoticeSchema = z.object({
  matchId: z.string(),
  mode: z.string(),
  /** seconds the players have to answer */
  acceptS: z.number(),
  /** players in the proposed match (humans) */
  players: z.number().int(),
  deadlineMs: z.number(),
}).readonly();
export type ProposalNotice = z.infer<typeof proposalNoticeSchema>;

/** Payload of `accept` and `decline`: the proposal answered (a stale or foreign matchId is refused, MM_NO_PROPOSAL). */
export const proposalAnswerSchema = z.object({ matchId: z.string().min(1).max(64) }).strict();
export type ProposalAnswer = z.infer<typeof proposalAnswerSchema>;
