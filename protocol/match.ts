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
  attributes: z.record(z.string().max(32), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()])).max(32)])).optional(),
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
