/**
 * The contract of matchmade game rooms (rooms/match-room.ts): what the matchmaker creates them with,
 * the messages every match room sends, the one result of a match, and the no-show report a room
 * hands back to the matchmaker.
 */
import { z } from "zod";
import type { ErrorCode } from "./errors.ts";

export { MatchMessage } from "./messages.ts";

/** The `error` message a room sends to one client (queue and match rooms alike). */
export interface RoomErrorMessage {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface DrainingNotice {
  /** Seconds the running match may still go on before the node ends it. */
  readonly endsWithinS: number;
}

export interface RequeueNotice {
  readonly matchId: string;
  readonly mode: string | null;
  readonly reason: "players-missing";
  /** How many expected players never came. */
  readonly missing: number;
}

/** What a mode's attribute rules made common to a match's tickets (attribute -> value or common set). */
const matchAttributesSchema = z.record(z.string().max(32), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()])).max(32)]));

/** What the matchmaker passes to `matchMaker.createRoom`. Clients can never set these (see onAuth). */
export const matchmadeOptionsSchema = z.object({
  matchId: z.string().min(1).max(64),
  mode: z.string().min(1).max(32).optional(),
  region: z.string().min(1).max(32).optional(),
  /** Player ids per team, team index = position. A team may hold no human when bots take all its seats. */
  teams: z.array(z.array(z.string().min(1).max(64)).max(64)).min(1).max(16),
  /** Bot seats per team, filled at creation (the matcher completed the lobby with bots). */
  bots: z.array(z.number().int().min(0).max(64)).max(16).optional(),
  /**
   * When the connect timeout fires with expected players missing: `bots` seats bots in their place
   * (if at least `minPlayers` humans came and the game has bots), `requeue` cancels the match and hands
   * the present players back to the queue (their tickets keep the original enqueue time). Unset: the
   * room starts with whoever came if there are `minPlayers`, else it is cancelled.
   */
  noShow: z.enum(["bots", "requeue"]).optional(),
  minPlayers: z.number().int().min(1).max(256).optional(),
  /** Seat reservation and connect timeout for this match (seconds). */
  connectTimeoutS: z.number().min(0.2).max(300).optional(),
  /**
   * What the mode's attribute rules made common to the match's tickets: an `equal` attribute's value,
   * an `overlap` attribute's common set (e.g. the maps every player accepts; the room picks one).
   */
  attributes: matchAttributesSchema.optional(),
  /**
   * The mode refills seats that empty while the match plays (`backfill` in its rules): a seat left for
   * good (past the reconnection window) within `untilS` of the start goes back to the matchmaker,
   * which seats a waiting player on that team.
   */
  backfill: z.object({ untilS: z.number().positive().max(7200) }).optional(),
}).refine((o) => o.teams.some((ids) => ids.length > 0), { message: "a match needs at least one player", path: ["teams"] })
  .refine((o) => o.teams.every((ids, team) => ids.length + (o.bots?.[team] ?? 0) > 0), { message: "every team needs a player or a bot", path: ["teams"] });
export type MatchmadeOptions = z.infer<typeof matchmadeOptionsSchema>;

/** A matchmade room's connect timeout fired with expected players missing. */
export const noShowReportSchema = z.object({
  matchId: z.string(),
  mode: z.string(),
  present: z.array(z.string()).readonly(),
  missing: z.array(z.string()).readonly(),
  /** true: the match is cancelled and the present players' tickets go back to the queue; false: bots took the empty seats */
  requeue: z.boolean(),
}).readonly();
export type NoShowReport = z.infer<typeof noShowReportSchema>;

export const matchOutcomeSchema = z.enum(["completed", "cancelled", "aborted"]);
export type MatchOutcome = z.infer<typeof matchOutcomeSchema>;

export const matchResultPlayerSchema = z.object({
  playerId: z.string(),
  name: z.string(),
  team: z.number().int(),
  score: z.number(),
  /** False when the player left (or never came back) before the end. */
  present: z.boolean(),
  /**
   * Backfilled players only: ms into the match (from its start) when the player took a seat someone
   * left. A late joiner is rated for the share of the match it played (server/players/results.ts).
   */
  joinedAtMs: z.number().nonnegative().optional(),
}).readonly();
export type MatchResultPlayer = z.infer<typeof matchResultPlayerSchema>;

/** The one result of a match: broadcast as `result`, reported to the MatchResultSink (idempotent by matchId). */
export const matchResultSchema = z.object({
  /** Idempotency key: a sink applies a given matchId once. */
  matchId: z.string(),
  roomName: z.string(),
  region: z.string(),
  mode: z.string().nullable(),
  outcome: matchOutcomeSchema,
  /** Why it ended: the rule that fired ("score-limit", "time-limit"), "not-enough-players", "drain-timeout", ... */
  reason: z.string(),
  startedAt: z.number(),
  endedAt: z.number(),
  durationMs: z.number(),
  teams: z.array(z.object({ team: z.number().int(), score: z.number(), playerIds: z.array(z.string()).readonly() }).readonly()).readonly(),
  players: z.array(matchResultPlayerSchema).readonly(),
  /** Winning team index, or null for a draw or a match that did not complete. */
  winnerTeam: z.number().int().nullable(),
  /**
   * True for a room the matchmaker made (a `matchId` in its create options): only these move ratings,
   * leaderboards and rewards of their mode. False for an open game (a client's joinOrCreate/create):
   * recorded in history, unrated, unrewarded. Absent (results written by tools) counts as ranked.
   */
  ranked: z.boolean().optional(),
  /** True when the humans of this match faced only bots (no human on another team). */
  againstBotsOnly: z.boolean().optional(),
}).readonly();
export type MatchResult = z.infer<typeof matchResultSchema>;

/**
 * The live match a player belongs to (`GET /v1/matches/current`, and the `details.match` of a `queue`
 * refusal `MM_ALREADY_IN_MATCH`): where to go back to. `team`, `seatHeld` and `seatHeldUntil` are the
 * room's own view of the player's seat (absent when the room did not answer, and in the refusal, whose
 * path never calls the room).
 */
export const currentMatchSchema = z.object({
  matchId: z.string(),
  roomId: z.string(),
  roomName: z.string(),
  /** the Colyseus process (node) hosting the room */
  processId: z.string(),
  mode: z.string().nullable(),
  team: z.number().int().min(0).optional(),
  /** the room still keeps a seat for this player (connected, dropped within the reconnection window, or never connected yet) */
  seatHeld: z.boolean().optional(),
  /** ms epoch until which a seat nobody is connected to is kept (reconnection window, or the connect timeout of a seat never used) */
  seatHeldUntil: z.number().optional(),
});
export type CurrentMatch = z.infer<typeof currentMatchSchema>;

/** `GET /v1/matches/current`: `{ match: null }` when the player is in no live match. */
export const currentMatchResponseSchema = z.object({ match: currentMatchSchema.nullable() });
export type CurrentMatchResponse = z.infer<typeof currentMatchResponseSchema>;

/** `MM_ALREADY_IN_MATCH`'s refusal details (`decodeRefusal(e).details`). */
export const alreadyInMatchDetailsSchema = z.object({ match: currentMatchSchema });

/**
 * `POST /v1/matches/current/seat`: how the player takes its seat back, with its own access token.
 * - `reconnect`: the room holds the seat for reconnection (dropped, or a stale connection it will
 *   close): `client.reconnect(reconnectionToken)` (`roomId:token`). Rally's room guard accepts the
 *   token only with an access token of the seat's player.
 * - `reservation`: the player never connected and the seat reservation is still valid:
 *   `client.consumeSeatReservation(reservation)`.
 */
export const rejoinSeatSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("reconnect"), reconnectionToken: z.string() }),
  z.object({ kind: z.literal("reservation"), reservation: z.looseObject({ name: z.string(), sessionId: z.string(), roomId: z.string(), processId: z.string(), publicAddress: z.string().optional() }) }),
]);
export type RejoinSeat = z.infer<typeof rejoinSeatSchema>;
export const rejoinResponseSchema = z.object({ match: currentMatchSchema, seat: rejoinSeatSchema });
export type RejoinResponse = z.infer<typeof rejoinResponseSchema>;

/**
 * What a match room answers about one player's seat (`heldSeat`, over Colyseus' remote room call, to
 * the node the player asked). Server to server only: the tokens go to nobody but that player.
 */
export const heldSeatSchema = z.object({
  team: z.number().int().min(0),
  connected: z.boolean(),
  heldUntil: z.number().optional(),
  /** the seat's reconnection token (without the room id): a dropped seat, or a live (possibly stale) connection */
  reconnectionToken: z.string().optional(),
  /** the unused seat reservation's session id (the player never connected) */
  sessionId: z.string().optional(),
});
export type HeldSeat = z.infer<typeof heldSeatSchema>;

/**
 * What a match room tells the matchmaker about its empty seats (modes with `backfill`): per team, the
 * players in it now and how many seats are open. Sent again on every change; `open` all 0 withdraws it.
 * `openedAt` is when the oldest open seat opened (ms epoch): the time to fill counts from it and the
 * skill window widens with it, as with a ticket's wait.
 */
export const backfillOpeningSchema = z.object({
  matchId: z.string().min(1).max(64),
  roomId: z.string().min(1).max(64),
  mode: z.string().min(1).max(32),
  /** region the match is hosted in (a backfilled player must be able to play there) */
  region: z.string().min(1).max(32),
  teams: z.array(z.object({ players: z.array(z.string().min(1).max(64)).max(64), open: z.number().int().min(0).max(64) })).min(1).max(16),
  attributes: matchAttributesSchema.optional(),
  openedAt: z.number(),
  /** ms epoch past which the match is too old to be worth joining (start + `backfill.untilS`) */
  untilMs: z.number(),
});
export type BackfillOpening = z.infer<typeof backfillOpeningSchema>;

/** Players the matchmaker seats in a running match's open seats (a remote call to the room: `admitBackfill`). */
export const backfillAdmissionSchema = z.object({
  players: z.array(z.object({ playerId: z.string().min(1).max(64), name: z.string().max(64), team: z.number().int().min(0).max(15) })).min(1).max(64),
});
export type BackfillAdmission = z.infer<typeof backfillAdmissionSchema>;
