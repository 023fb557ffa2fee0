/**
 * What a game room needs from the rest of Rally, as small interfaces. The server wires real
 * implementations in; tests pass fakes. Rooms never import `server/`.
 */

/** Who a client is, as proven by its access token. Never taken from join options. */
export interface PlayerIdentity {
  readonly playerId: string;
  readonly name: string;
}

/** Thrown by a TokenVerifier; `code` is a Rally error code such as AUTH_EXPIRED_TOKEN. */
export interface CodedError extends Error {
  readonly code: string;
}

export interface TokenVerifier {
  /** Resolves the identity in an access token, or throws a CodedError (missing, expired, forged). */
  verifyAccess(token: string | undefined): Promise<PlayerIdentity>;
}

export type MatchOutcome = "completed" | "cancelled" | "aborted";

export interface MatchResultPlayer {
  readonly playerId: string;
  readonly name: string;
  readonly team: number;
  readonly score: number;
  /** False when the player left (or never came back) before the end. */
  readonly present: boolean;
}

export interface MatchResult {
  /** Idempotency key: a sink applies a given matchId once. */
  readonly matchId: string;
  readonly roomName: string;
  readonly region: string;
  readonly mode: string | null;
  readonly outcome: MatchOutcome;
  /** Why it ended: the rule that fired ("score-limit", "time-limit"), "not-enough-players", "drain-timeout", ... */
  readonly reason: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  readonly teams: ReadonlyArray<{ readonly team: number; readonly score: number; readonly playerIds: readonly string[] }>;
  readonly players: readonly MatchResultPlayer[];
  /** Winning team index, or null for a draw or a match that did not complete. */
  readonly winnerTeam: number | null;
  /**
   * True for a room the matchmaker made (a `matchId` in its create options): only these move ratings,
   * leaderboards and rewards of their mode. False for an open game (a client's joinOrCreate/create):
   * recorded in history, unrated, unrewarded. Absent (results written by tools) counts as ranked.
   */
  readonly ranked?: boolean;
  /** True when the humans of this match faced only bots (no human on another team). */
  readonly againstBotsOnly?: boolean;
}

/** Where a finished match goes (ratings, history, leaderboards: later issues). Must be idempotent by matchId. */
export interface MatchResultSink {
  report(result: MatchResult): Promise<void>;
}

/** Metrics hooks a room calls; the server backs them with prom-client. */
export interface RoomObserver {
  roomCreated(room: string): void;
  roomDisposed(room: string): void;
  clientJoined(room: string): void;
  clientLeft(room: string): void;
  messageIn(room: string, type: string): void;
  messagesOut(room: string, kind: "patch" | "message", n?: number): void;
  messageRejected(room: string, reason: "invalid" | "unknown-type" | "not-playing"): void;
  tickDuration(room: string, seconds: number): void;
  matchReported(room: string, outcome: MatchOutcome): void;
}

/** The subset of a pino logger rooms use. */
export interface RoomLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** What a matchmade room reports back to the matchmaker (Rally's queue). */
export interface MatchmakingHooks {
  /**
   * The connect timeout fired with expected players missing. `requeue`: the match is cancelled and the
   * present players' tickets go back to the queue; otherwise bots took the empty seats.
   */
  noShow(report: { matchId: string; mode: string; present: readonly string[]; missing: readonly string[]; requeue: boolean }): Promise<void>;
}

export interface RoomServices {
  readonly tokens: TokenVerifier;
  readonly results: MatchResultSink;
  readonly observer: RoomObserver;
  readonly logger: RoomLogger;
  /** Region of the node hosting the room. */
  readonly region: string;
  /** Seconds a dropped player's seat is held. */
  readonly reconnectWindowS: number;
  /** Seconds a draining node lets a running match go on before ending it. */
  readonly drainTimeoutS: number;
  /** Set when Rally's matchmaker runs on this node. */
  readonly matchmaking?: MatchmakingHooks;
}

export const noopObserver: RoomObserver = {
  roomCreated() {}, roomDisposed() {}, clientJoined() {}, clientLeft() {}, messageIn() {},
  messagesOut() {}, messageRejected() {}, tickDuration() {}, matchReported() {},
};
