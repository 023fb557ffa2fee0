/**
 * One catalog of every error code a client can meet: HTTP answers (`{ error: { code, message } }`),
 * room and queue refusals (a refused join or create), the `error` message rooms send to one client,
 * and the reasons a queue ticket was cancelled. Each code has the HTTP status it answers with at the
 * `/v1` edge, the Colyseus error code a room refusal carries, and a default message.
 *
 * Complete by construction: `ErrorCode` is the union of the catalog's keys and `ERRORS` is a
 * `Record<ErrorCode, ErrorSpec>`, so a code cannot be thrown, encoded or decoded without its entry.
 * README.md's "Error codes" table lists the same codes (test/protocol/catalog.test.ts keeps them equal).
 *
 * Pure: no Colyseus, no zod, no Node API, so the browser SDK imports it as it is. The server-side
 * encoder that builds Colyseus' ServerError is in ./server.ts.
 */

/**
 * Colyseus' numeric error codes (`ErrorCode` of @colyseus/shared-types 0.18) that Rally refusals use,
 * copied so this file needs no Colyseus package; test/protocol/catalog.test.ts pins them to Colyseus'.
 * A refused join reaches the client's `joinOrCreate` rejection as `err.code`; Colyseus' matchmake
 * route also answers with it as the HTTP status.
 */
export const ColyseusErrorCode = {
  MATCHMAKE_UNHANDLED: 523,
  AUTH_FAILED: 525,
  APPLICATION_ERROR: 526,
} as const;

export interface ErrorSpec {
  /** HTTP status at the `/v1` edge (server/http/common.ts errorHandler). */
  readonly status: number;
  /** Colyseus error code of a room refusal with this code; unset: APPLICATION_ERROR. */
  readonly closeCode?: number;
  /** Default message (also the README's meaning column). */
  readonly message: string;
}

const AUTH = ColyseusErrorCode.AUTH_FAILED;

/** `satisfies` keeps the literal keys (ErrorCode) and checks every entry's shape. */
const catalog = {
  // requests and auth (server/http, server/auth)
  BAD_REQUEST: { status: 400, message: "The request is malformed." },
  AUTH_MISSING_TOKEN: { status: 401, closeCode: AUTH, message: "An access token is required." },
  AUTH_INVALID_TOKEN: { status: 401, closeCode: AUTH, message: "The token is invalid." },
  AUTH_EXPIRED_TOKEN: { status: 401, closeCode: AUTH, message: "The token has expired." },
  FORBIDDEN: { status: 403, message: "Not allowed." },
  NOT_FOUND: { status: 404, message: "Not found." },
  RATE_LIMITED: { status: 429, message: "Too many requests; slow down." },
  AUTH_BAD_CREDENTIALS: { status: 401, closeCode: AUTH, message: "Wrong username or password." },
  AUTH_TOKEN_REUSED: { status: 401, closeCode: AUTH, message: "This refresh token was already used; the session is revoked." },
  AUTH_REVOKED: { status: 401, closeCode: AUTH, message: "The session has been revoked." },
  ACCOUNT_LOCKED: { status: 429, message: "Too many failed logins; try again later." },
  PLAYER_BANNED: { status: 403, closeCode: AUTH, message: "This player is banned." },
  USERNAME_TAKEN: { status: 409, message: "That username is taken." },
  ALREADY_REGISTERED: { status: 409, message: "This player already has an account." },
  INSUFFICIENT_ITEMS: { status: 409, message: "Not enough items." },
  IDEMPOTENCY_CONFLICT: { status: 409, message: "This idempotency key was used for a different operation." },
  NOT_READY: { status: 503, message: "This node is not accepting new work." },
  STORE_UNAVAILABLE: { status: 503, message: "Player data is unavailable right now; try again shortly." },
  DEVICE_REGISTERED: { status: 409, message: "This device's player has an account; sign in with its username and password or a linked platform account." },
  NAME_RESERVED: { status: 400, message: "That name is reserved or looks like a reserved name." },
  // platform sign-in (server/auth/platform)
  PLATFORM_TOKEN_INVALID: { status: 401, message: "The platform token or ticket is invalid (signature, issuer, audience or app)." },
  PLATFORM_TOKEN_EXPIRED: { status: 401, message: "The platform token has expired; get a fresh one from the platform." },
  PLATFORM_TOKEN_REPLAYED: { status: 401, message: "This platform token was already used; get a fresh one from the platform." },
  PROVIDER_UNKNOWN: { status: 400, message: "This sign-in provider is not configured on this server." },
  PROVIDER_UNAVAILABLE: { status: 503, message: "The sign-in provider cannot be reached right now; try again shortly." },
  IDENTITY_TAKEN: { status: 409, message: "This platform account is already linked to another player." },
  PROVIDER_ALREADY_LINKED: { status: 409, message: "This player already has another account of this provider linked; unlink it first." },
  IDENTITY_NOT_LINKED: { status: 404, message: "This player has no account of this provider linked." },
  LAST_SIGN_IN_METHOD: { status: 409, message: "This is the player's last way to sign in; add another one before removing it." },
  // rooms and connections (server/node/guard.ts, rooms/guard.ts, rooms/match-room.ts)
  ROOM_BAD_OPTIONS: { status: 400, message: "The room options are invalid." },
  ROOM_LIMIT: { status: 429, message: "This player holds too many rooms or connections; leave one first." },
  ROOM_RECONNECT_REFUSED: { status: 403, closeCode: AUTH, message: "This reconnection token belongs to another player's seat." },
  ROOM_WRONG_NODE: { status: 503, closeCode: ColyseusErrorCode.MATCHMAKE_UNHANDLED, message: "This room was placed on another node, which did not answer; it is not created here." },
  // Placement refusing: 503 is also the HTTP status Colyseus' matchmake route answers a client's create with.
  NO_NODE_AVAILABLE: { status: 503, closeCode: 503, message: "No game node can take this room now; try again shortly." },
  NOT_EXPECTED: { status: 403, message: "This match was made for other players." },
  ALREADY_IN_MATCH: { status: 409, message: "This player already has a seat in this match." },
  MATCH_OVER: { status: 409, message: "The match is over." },
  INVALID_MESSAGE: { status: 400, message: "A room message failed validation (sent as the room's `error` message)." },
  UNKNOWN_MESSAGE: { status: 400, message: "The room has no message of this type (sent as the room's `error` message)." },
  RELAY_MESSAGE_TOO_LARGE: { status: 413, message: "A relay message is over the size limit (sent as the room's `error` message)." },
  // A refusal without a Rally code (Colyseus' own, such as a full or missing room): what decodeRefusal answers for it.
  ROOM_ERROR: { status: 500, message: "The room refused without a Rally code." },
  // queue (matchmaker/queue-room.ts)
  MM_BAD_OPTIONS: { status: 400, message: "The queue join options are invalid." },
  MM_FORBIDDEN_OPTION: { status: 400, message: "A join option is set by the server, never by the client (rating, region, team, player id...)." },
  MM_BAD_ATTRIBUTES: { status: 400, message: "The ticket attributes do not fit the mode's attribute schema (or party members sent different ones)." },
  MM_UNKNOWN_MODE: { status: 404, message: "There is no queue mode of this name." },
  MM_BAD_PARTY: { status: 400, message: "The party id is invalid or the party is queueing for another mode." },
  MM_ALREADY_QUEUED: { status: 409, message: "This player is already in a queue." },
  MM_ALREADY_IN_MATCH: { status: 409, message: "This player is in a match." },
  MM_INVALID_TICKET: { status: 400, message: "The ticket is invalid." },
  MM_DUPLICATE_TICKET: { status: 409, message: "This ticket is already queued." },
  MM_ERROR: { status: 500, message: "The party's ticket could not be made." },
  MM_COOLDOWN: { status: 429, message: "This player declined or missed a match proposal and may not queue again yet (the refusal says how many seconds remain)." },
  MM_NO_PROPOSAL: { status: 409, message: "There is no open match proposal with this id for this player (answered, settled or never made)." },
  MM_ILLEGAL_TRANSITION: { status: 409, message: "The ticket is not in a state that allows this step (it moved on meanwhile)." },
  // rejoin a live match (GET /v1/matches/current, POST /v1/matches/current/seat)
  MM_NOT_IN_MATCH: { status: 404, message: "This player has no live match to go back to." },
  MM_SEAT_NOT_HELD: { status: 409, message: "The match no longer holds this player's seat (left for good, or the reconnection window is over)." },
  // why a queue ticket was cancelled (the `reason` of a `cancelled` status)
  LEFT: { status: 409, message: "The ticket was cancelled: its player left the queue." },
  PARTY_MEMBER_LEFT: { status: 409, message: "The ticket was cancelled: a party member left the queue." },
  QUEUE_CLOSED: { status: 409, message: "The ticket was cancelled: the queue room closed." },
  TICKET_LOST: { status: 409, message: "The ticket was lost (its store forgot it); queue again." },
  PROPOSAL_DECLINED: { status: 409, message: "The ticket was cancelled: a player of it declined the proposed match." },
  PROPOSAL_TIMEOUT: { status: 409, message: "The ticket was cancelled: a player of it did not accept the proposed match in time." },
  // social (server/social, rooms/social)
  FRIEND_SELF: { status: 400, message: "You cannot befriend, invite or block yourself." },
  FRIEND_BLOCKED: { status: 403, message: "One of you blocked the other." },
  FRIEND_REQUEST_NOT_FOUND: { status: 404, message: "There is no such friend request." },
  NOT_FRIENDS: { status: 403, message: "You can only do this with a friend." },
  FRIEND_LIMIT: { status: 409, message: "Too many friends or pending requests." },
  PARTY_NOT_FOUND: { status: 404, message: "No such party." },
  NOT_IN_PARTY: { status: 403, message: "You are not in this party." },
  NOT_PARTY_LEADER: { status: 403, message: "Only the party leader can do this." },
  ALREADY_IN_PARTY: { status: 409, message: "Leave your current party first." },
  PARTY_FULL: { status: 409, message: "The party is full for this mode." },
  PARTY_TOO_LARGE: { status: 409, message: "The party is larger than this mode takes." },
  PARTY_INVITE_NOT_FOUND: { status: 404, message: "There is no such party invite." },
  JOIN_CODE_NOT_FOUND: { status: 404, message: "No room or party has this join code." },
  RELAY_TOKEN_INVALID: { status: 401, message: "The relay token is missing, expired or for another session." },
  // chat and inbox (server/chat)
  CHAT_TOO_LONG: { status: 400, message: "This message is longer than CHAT_MAX_LENGTH characters." },
  CHAT_RATE_LIMITED: { status: 429, message: "Too many chat messages; slow down." },
  CHAT_REJECTED: { status: 400, message: "The chat filter refused this message." },
  CHAT_NOT_MEMBER: { status: 403, message: "You are not in this chat channel." },
  // admin console (server/admin-console)
  ADMIN_DISABLED: { status: 404, message: "The admin console and admin API are off: this node has no ADMIN_TOKEN." },
  INTERNAL: { status: 500, message: "Internal error." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof catalog;

/** The catalog: one entry per ErrorCode. */
export const ERRORS: Readonly<Record<ErrorCode, ErrorSpec>> = catalog;

export const ERROR_CODES = Object.keys(ERRORS) as readonly ErrorCode[];

export function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === "string" && Object.hasOwn(ERRORS, v);
}

/** The Colyseus error code a refusal with this code carries. */
export function closeCodeOf(code: ErrorCode): number {
  return ERRORS[code].closeCode ?? ColyseusErrorCode.APPLICATION_ERROR;
}

/** Extra facts an error carries to the edge that turns it into an answer. */
export interface ErrorDetails {
  /** Seconds until the budget allows another try (HTTP `Retry-After`). */
  readonly retryAfterS?: number;
  /** The chat filter's reason for CHAT_REJECTED (a short token such as `profanity`). */
  readonly reason?: string;
  /** The underlying failure (logs only; never sent to a client). */
  readonly cause?: unknown;
}

/**
 * The domain error: stores, services and rooms throw it with a catalog code; the HTTP edge maps it to
 * its status once (server/http/common.ts), rooms turn it into a refusal once (`encodeRefusal`).
 */
export class RallyError extends Error {
  override readonly name = "RallyError";
  readonly status: number;
  readonly details: ErrorDetails;

  constructor(readonly code: ErrorCode, message?: string, details: ErrorDetails = {}) {
    super(message ?? ERRORS[code].message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = ERRORS[code].status;
    this.details = details;
  }

  /** The `/v1` answer body. */
  toBody(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isRallyError(e: unknown): e is RallyError {
  return e instanceof RallyError;
}

/** The catalog code a caught failure carries (a RallyError, a refusal, a coded error), else `fallback`. */
export function codeOf(e: unknown, fallback: ErrorCode): ErrorCode {
  if (e instanceof RallyError) return e.code;
  const { code } = decodeRefusal(e);
  return code === "ROOM_ERROR" ? fallback : code;
}

/** A decoded refusal (or room `error` message). */
export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
  /**
   * Facts a refusal carries for the client (a JSON object), e.g. `MM_ALREADY_IN_MATCH`'s `{ match }`
   * (the live match to go back to). Absent on most refusals; read it with the schema of its code.
   */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one text format of a refusal: `CODE: message`. It is what Colyseus carries (its ServerError
 * message reaches the client as is, and a create failing on another node crosses IPC as its message
 * alone, the numeric code dropped), so the code travels inside the text. Only this file reads or
 * writes it: `refusalText` here and ./server.ts `encodeRefusal` write, `decodeRefusal` reads.
 */
export function refusalText(code: ErrorCode, message: string = ERRORS[code].message, details?: Readonly<Record<string, unknown>>): string {
  return details ? `${code}: ${message}${DETAILS_MARK}${JSON.stringify(details)}` : `${code}: ${message}`;
}

/**
 * Details ride after the message, behind a line of their own: `CODE: message\n#details {json}`. The
 * text still starts `CODE: `, so an older decoder reads the code as before (and the details as part of
 * the message); a message never contains the mark (`refusalText` is the only writer).
 */
const DETAILS_MARK = "\n#details ";

const REFUSAL_TEXT = /^([A-Z][A-Z0-9_]*): (.*)$/s;

function fromText(text: string): Refusal | null {
  const m = REFUSAL_TEXT.exec(text);
  if (!m || !isErrorCode(m[1])) return null;
  const body = m[2]!;
  const at = body.lastIndexOf(DETAILS_MARK);
  if (at >= 0) {
    try {
      const details: unknown = JSON.parse(body.slice(at + DETAILS_MARK.length));
      if (typeof details === "object" && details !== null && !Array.isArray(details)) return { code: m[1], message: body.slice(0, at), details: details as Record<string, unknown> };
    } catch { /* not details: the whole text is the message */ }
  }
  return { code: m[1], message: body };
}

/**
 * Any refusal back to its code: a RallyError, a Colyseus ServerError or SDK error (`CODE: message`),
 * an IPC error (a plain Error or `{ code, message }`), a room's `error` message payload
 * (`{ code, message }`), or the text itself. Anything without a catalog code is ROOM_ERROR with the
 * raw text as its message (a Colyseus refusal such as "room is locked", or a newer server's code).
 */
export function decodeRefusal(e: unknown): Refusal {
  if (e instanceof RallyError) return { code: e.code, message: e.message };
  if (typeof e === "string") return fromText(e) ?? { code: "ROOM_ERROR", message: e };
  if (typeof e === "object" && e !== null) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    const text = typeof message === "string" ? message : "";
    const coded = fromText(text);
    if (coded) return coded;
    if (isErrorCode(code)) return { code, message: text || ERRORS[code].message };
    return { code: "ROOM_ERROR", message: text || ERRORS.ROOM_ERROR.message };
  }
  return { code: "ROOM_ERROR", message: e === undefined || e === null ? ERRORS.ROOM_ERROR.message : String(e) };
}
