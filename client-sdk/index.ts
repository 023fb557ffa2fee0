/**
 * Rally's TypeScript client: guest auth and token refresh over `/v1`, room joins over the Colyseus 0.18
 * SDK with Rally's refusals as typed errors, reconnection, the queue, and snapshot interpolation. Works
 * in browsers and in Node >= 22. Nothing here knows a game: a game's typed handle lives with the game
 * (the arena's is examples/arena/client.ts).
 *
 *   const rally = new RallyClient("https://play.example.com");
 *   await rally.auth.guest({ deviceId });
 *   const room = await rally.joinOrCreate<MyState>("my-game");
 */
import { Client, type Room } from "@colyseus/sdk";
import { isErrorCode } from "../protocol/errors.ts";
import { RallyApiError, toRoomError } from "./errors.ts";

export * from "./match.ts";
export { Emitter, type EventMap } from "./emitter.ts";
export { RallyApiError, RallyRoomError, SdkErrorCode, type RallyErrorCode } from "./errors.ts";
export { queue, type QueueClient, type QueueOptions, type QueueStatus } from "./queue.ts";
export { ERRORS, decodeRefusal, type ErrorCode, type Refusal } from "../protocol/errors.ts";
export type { DrainingNotice, MatchResult, QueueJoinOptions, RequeueNotice, RoomErrorMessage, SeatReservation } from "../protocol/index.ts";
export { Interpolator, type InterpolatorOptions, type Sample } from "./interpolation.ts";

/** What `/v1/auth/guest` and `/v1/auth/refresh` return, plus when the access token expires. */
export interface Session {
  playerId: string;
  name: string;
  token: string;
  refreshToken: string;
  /** Epoch ms after which the access token is no longer accepted. */
  expiresAt: number;
}

export interface Me {
  playerId: string;
  name: string;
  createdAt: string;
}

/** One match in the player's history (GET /v1/players/me/matches); MMR fields are null for an unrated match. */
export interface MatchHistoryEntry {
  matchId: string;
  mode: string;
  endedAt: string;
  team: number;
  score: number;
  outcome: "win" | "loss" | "draw" | "none";
  mmrBefore: number | null;
  mmrAfter: number | null;
}

/** Where the session survives a page reload. `webStorage(sessionStorage, key)` covers browsers. */
export interface SessionStore {
  load(): Session | null;
  save(session: Session | null): void;
}

/** A SessionStore over any Web Storage (localStorage: shared by tabs; sessionStorage: one per tab). */
export function webStorage(storage: Pick<Storage, "getItem" | "setItem" | "removeItem">, key = "rally.session"): SessionStore {
  return {
    load() {
      try {
        const parsed: unknown = JSON.parse(storage.getItem(key) ?? "null");
        return isSession(parsed) ? parsed : null;
      } catch {
        return null;
      }
    },
    save(session) {
      if (session) storage.setItem(key, JSON.stringify(session));
      else storage.removeItem(key);
    },
  };
}

export interface RallyClientOptions {
  /** Restores a session on construction and receives every new one. */
  store?: SessionStore;
  /** Refresh the access token this long before it expires (ms). Default 30 s. */
  refreshMarginMs?: number;
  /** Override fetch (tests, custom agents). */
  fetch?: typeof fetch;
}

/** A platform account linked to the player (`GET /v1/auth/identities`). */
export interface LinkedIdentity {
  provider: string;
  subject: string;
  linkedAt: number;
}

export interface Identities {
  playerId: string;
  username: string | null;
  identities: LinkedIdentity[];
  /** The providers this server accepts (`google`, `apple`, `steam`, ...). */
  providers: string[];
}

interface TokenResponse {
  playerId: string;
  name: string;
  token: string;
  refreshToken: string;
  expiresIn: number;
}

export class RallyClient {
  /** The underlying Colyseus client, for rooms this wrapper does not type (lobby, relay, queue). */
  readonly colyseus: Client;
  readonly auth: RallyAuth;
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(endpoint: string, options: RallyClientOptions = {}) {
    this.baseUrl = endpoint.replace(/\/+$/, "");
    this.colyseus = new Client(this.baseUrl);
    // Bound, because browsers throw "Illegal invocation" on a detached window.fetch.
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.auth = new RallyAuth(this, options.store, options.refreshMarginMs ?? 30_000);
    // The Colyseus Auth module reads its own key from localStorage; ours is the only source of truth.
    this.colyseus.auth.token = this.auth.session?.token ?? "";
  }

  /** GET /v1/me. */
  async me(): Promise<Me> {
    return this.request<Me>("GET", "/v1/me", undefined, true);
  }

  /** GET /v1/players/me/matches: the newest matches first. */
  async matches(limit = 10): Promise<MatchHistoryEntry[]> {
    return (await this.request<{ matches: MatchHistoryEntry[] }>("GET", `/v1/players/me/matches?limit=${limit}`, undefined, true)).matches;
  }

  /** GET /v1/players/me/inventory: item name -> count (coins included). */
  async inventory(): Promise<Record<string, number>> {
    return (await this.request<{ items: Record<string, number> }>("GET", "/v1/players/me/inventory", undefined, true)).items;
  }

  /**
   * Join (or create) an open room of `roomName` with a fresh token. A refusal throws RallyRoomError
   * with the server's code (e.g. AUTH_INVALID_TOKEN, ROOM_BAD_OPTIONS).
   */
  async joinOrCreate<S = unknown>(roomName: string, options: Record<string, unknown> = {}): Promise<Room<unknown, S>> {
    await this.auth.ensureFresh();
    return this.wrapJoin(() => this.colyseus.joinOrCreate<S>(roomName, options));
  }

  /** Take back a seat after a page reload, with a `reconnectionToken` ("roomId:token") kept from before. */
  async reconnect<S = unknown>(reconnectionToken: string): Promise<Room<unknown, S>> {
    await this.auth.ensureFresh();
    return this.wrapJoin(() => this.colyseus.reconnect<S>(reconnectionToken));
  }

  private async wrapJoin<S>(join: () => Promise<Room<unknown, S>>): Promise<Room<unknown, S>> {
    try {
      return await join();
    } catch (e) {
      throw toRoomError(e);
    }
  }

  /** @internal JSON over `/v1`; errors become RallyApiError. `authed` adds the bearer token and retries once after a refresh. */
  async request<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown, authed = false): Promise<T> {
    if (authed) await this.auth.ensureFresh();
    const send = async (): Promise<Response> => {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers["content-type"] = "application/json";
      const token = this.auth.session?.token;
      if (authed && token) headers.authorization = `Bearer ${token}`;
      try {
        return await this.fetchFn(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (e) {
        throw new RallyApiError("NETWORK", e instanceof Error ? e.message : String(e), 0);
      }
    };
    let res = await send();
    if (authed && res.status === 401 && this.auth.session) {
      // The token may have expired in flight (or the clock is off): refresh once and retry.
      const error = await readError(res);
      if (error.code !== "AUTH_EXPIRED_TOKEN") throw error;
      await this.auth.refresh();
      res = await send();
    }
    if (!res.ok) throw await readError(res);
    return (await res.json()) as T;
  }

  /** @internal */
  setToken(token: string): void {
    this.colyseus.auth.token = token;
  }
}

export class RallyAuth {
  private current: Session | null;
  private refreshing: Promise<Session> | null = null;

  constructor(private readonly client: RallyClient, private readonly store: SessionStore | undefined, private readonly marginMs: number) {
    this.current = store?.load() ?? null;
  }

  /** The current session (tokens, player id and name), or null before any login. */
  get session(): Session | null {
    return this.current;
  }

  get playerId(): string | null {
    return this.current?.playerId ?? null;
  }

  /** POST /v1/auth/guest. The same deviceId always gets the same player. */
  async guest(options: { deviceId?: string } = {}): Promise<Session> {
    const body = options.deviceId === undefined ? {} : { deviceId: options.deviceId };
    return this.adopt(await this.client.request<TokenResponse>("POST", "/v1/auth/guest", body));
  }

  /**
   * POST /v1/auth/oidc: sign in with an OpenID Connect ID token from the platform's SDK (Google
   * Sign-In, Sign in with Apple...). Creates the player on first sight. A token works once: get a
   * fresh one per call. Errors: PLATFORM_TOKEN_INVALID / _EXPIRED / _REPLAYED, PROVIDER_UNKNOWN.
   */
  async signInWithOidc(provider: string, idToken: string, options: { nonce?: string } = {}): Promise<Session> {
    return this.adopt(await this.client.request<TokenResponse>("POST", "/v1/auth/oidc", { provider, idToken, ...options }));
  }

  /** POST /v1/auth/steam with the hex ticket from GetAuthTicketForWebApi / GetAuthSessionTicket. */
  async signInWithSteam(ticket: string): Promise<Session> {
    return this.adopt(await this.client.request<TokenResponse>("POST", "/v1/auth/steam", { ticket }));
  }

  /** Links an OpenID Connect account to the signed-in player (IDENTITY_TAKEN, PROVIDER_ALREADY_LINKED). */
  async linkOidc(provider: string, idToken: string, options: { nonce?: string } = {}): Promise<LinkedIdentity[]> {
    return (await this.client.request<{ identities: LinkedIdentity[] }>("POST", "/v1/auth/oidc", { provider, idToken, ...options }, true)).identities;
  }

  /** Links a Steam account to the signed-in player. */
  async linkSteam(ticket: string): Promise<LinkedIdentity[]> {
    return (await this.client.request<{ identities: LinkedIdentity[] }>("POST", "/v1/auth/steam", { ticket }, true)).identities;
  }

  /** GET /v1/auth/identities. */
  async identities(): Promise<Identities> {
    return this.client.request<Identities>("GET", "/v1/auth/identities", undefined, true);
  }

  /** DELETE /v1/auth/identities/:provider; never the last way in (LAST_SIGN_IN_METHOD). */
  async unlink(provider: string): Promise<LinkedIdentity[]> {
    return (await this.client.request<{ identities: LinkedIdentity[] }>("DELETE", `/v1/auth/identities/${encodeURIComponent(provider)}`, undefined, true)).identities;
  }

  /** POST /v1/auth/refresh with the stored refresh token: a new token pair for the same player. */
  async refresh(): Promise<Session> {
    // Concurrent callers share one refresh, so a refresh token is never spent twice at once.
    this.refreshing ??= (async () => {
      const refreshToken = this.current?.refreshToken;
      if (!refreshToken) throw new RallyApiError("AUTH_MISSING_TOKEN", "no refresh token: log in first", 401);
      return this.adopt(await this.client.request<TokenResponse>("POST", "/v1/auth/refresh", { refreshToken }));
    })().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Use a session kept elsewhere (your own storage, a native shell). */
  restore(session: Session): void {
    this.set(session);
  }

  /** Forget the session (and clear it from the store). */
  logout(): void {
    this.set(null);
  }

  /** @internal Refresh when the access token is about to expire. */
  async ensureFresh(): Promise<void> {
    if (this.current && Date.now() > this.current.expiresAt - this.marginMs) await this.refresh();
  }

  private adopt(res: TokenResponse): Session {
    const session: Session = {
      playerId: res.playerId,
      name: res.name,
      token: res.token,
      refreshToken: res.refreshToken,
      expiresAt: Date.now() + res.expiresIn * 1000,
    };
    this.set(session);
    return session;
  }

  private set(session: Session | null): void {
    this.current = session;
    this.client.setToken(session?.token ?? "");
    this.store?.save(session);
  }
}

async function readError(res: Response): Promise<RallyApiError> {
  const text = await res.text().catch(() => "");
  try {
    const body: unknown = JSON.parse(text);
    const error = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
    if (typeof error === "object" && error !== null) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      const text = typeof message === "string" ? message : String(code);
      if (isErrorCode(code)) return new RallyApiError(code, text, res.status);
      // a code this SDK's catalog does not know (a newer server): kept in the message
      if (typeof code === "string") return new RallyApiError(`HTTP_${res.status}`, `${code}: ${text}`, res.status);
    }
  } catch {
    // not JSON: fall through
  }
  return new RallyApiError(`HTTP_${res.status}`, text.slice(0, 200) || res.statusText, res.status);
}

function isSession(v: unknown): v is Session {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.playerId === "string" && typeof s.name === "string" && typeof s.token === "string" && typeof s.refreshToken === "string" && typeof s.expiresAt === "number";
}
export * from "./social.ts";
export * from "./relay.ts";
