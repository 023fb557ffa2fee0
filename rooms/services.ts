/**
 * What a game room needs from the rest of Rally, as small interfaces. The server wires real
 * implementations in; tests pass fakes. Rooms never import `server/`. Wire shapes (the match result,
 * the no-show report) are protocol/'s.
 */
import type { BackfillOpening, MatchOutcome, MatchResult, MatchResultPlayer, NoShowReport } from "../protocol/index.ts";

export type { BackfillOpening, MatchOutcome, MatchResult, MatchResultPlayer, NoShowReport };

/** Who a client is, as proven by its access token. Never taken from join options. */
export interface PlayerIdentity {
  readonly playerId: string;
  readonly name: string;
}

export interface TokenVerifier {
  /** Resolves the identity in an access token, or throws a RallyError (AUTH_MISSING_TOKEN, AUTH_EXPIRED_TOKEN, AUTH_INVALID_TOKEN, PLAYER_BANNED...). */
  verifyAccess(token: string | undefined): Promise<PlayerIdentity>;
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
  noShow(report: NoShowReport): Promise<void>;
  /**
   * The room's open seats changed (modes with `backfill`): the matchmaker fills them from waiting
   * tickets. Every team's `open` 0 withdraws the opening. Absent: this node does not backfill.
   */
  backfill?(opening: BackfillOpening): Promise<void>;
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
