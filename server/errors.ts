/**
 * One catalog of error codes: HTTP status and a default message per code. HTTP responses carry
 * `{ error: { code, message } }`; room refusals carry the code in the message so SDKs can branch on it.
 */
export const ErrorCatalog = {
  BAD_REQUEST: { status: 400, message: "The request is malformed." },
  AUTH_MISSING_TOKEN: { status: 401, message: "An access token is required." },
  AUTH_INVALID_TOKEN: { status: 401, message: "The token is invalid." },
  AUTH_EXPIRED_TOKEN: { status: 401, message: "The token has expired." },
  FORBIDDEN: { status: 403, message: "Not allowed." },
  NOT_FOUND: { status: 404, message: "Not found." },
  RATE_LIMITED: { status: 429, message: "Too many requests; slow down." },
  AUTH_BAD_CREDENTIALS: { status: 401, message: "Wrong username or password." },
  AUTH_TOKEN_REUSED: { status: 401, message: "This refresh token was already used; the session is revoked." },
  AUTH_REVOKED: { status: 401, message: "The session has been revoked." },
  ACCOUNT_LOCKED: { status: 429, message: "Too many failed logins; try again later." },
  PLAYER_BANNED: { status: 403, message: "This player is banned." },
  USERNAME_TAKEN: { status: 409, message: "That username is taken." },
  ALREADY_REGISTERED: { status: 409, message: "This player already has an account." },
  INSUFFICIENT_ITEMS: { status: 409, message: "Not enough items." },
  IDEMPOTENCY_CONFLICT: { status: 409, message: "This idempotency key was used for a different operation." },
  ROOM_BAD_OPTIONS: { status: 400, message: "The room options are invalid." },
  NOT_READY: { status: 503, message: "This node is not accepting new work." },
  STORE_UNAVAILABLE: { status: 503, message: "Player data is unavailable right now; try again shortly." },
  // rooms and connections (server/node/guard.ts, rooms/guard.ts)
  ROOM_LIMIT: { status: 429, message: "This player holds too many rooms or connections; leave one first." },
  ROOM_RECONNECT_REFUSED: { status: 403, message: "This reconnection token belongs to another player's seat." },
  ROOM_WRONG_NODE: { status: 503, message: "This room was placed on another node, which did not answer; it is not created here." },
  // social (server/social)
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
  PARTY_INVITE_NOT_FOUND: { status: 404, message: "There is no such party invite." },
  JOIN_CODE_NOT_FOUND: { status: 404, message: "No room or party has this join code." },
  RELAY_TOKEN_INVALID: { status: 401, message: "The relay token is missing, expired or for another session." },
  // security (issue 12)
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
  NO_NODE_AVAILABLE: { status: 503, message: "No game node can take this room now; try again shortly." },
  // chat and inbox (server/chat)
  CHAT_TOO_LONG: { status: 400, message: "This message is longer than CHAT_MAX_LENGTH characters." },
  CHAT_RATE_LIMITED: { status: 429, message: "Too many chat messages; slow down." },
  CHAT_REJECTED: { status: 400, message: "The chat filter refused this message." },
  CHAT_NOT_MEMBER: { status: 403, message: "You are not in this chat channel." },
  // admin console (server/admin-console)
  ADMIN_DISABLED: { status: 404, message: "The admin console and admin API are off: this node has no ADMIN_TOKEN." },
  INTERNAL: { status: 500, message: "Internal error." },
} as const;

export type ErrorCode = keyof typeof ErrorCatalog;

export class RallyError extends Error {
  readonly status: number;
  constructor(readonly code: ErrorCode, message?: string, options?: ErrorOptions) {
    super(message ?? ErrorCatalog[code].message, options);
    this.name = "RallyError";
    this.status = ErrorCatalog[code].status;
  }

  toBody(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isRallyError(e: unknown): e is RallyError {
  return e instanceof RallyError;
}
