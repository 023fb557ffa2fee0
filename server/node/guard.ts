/**
 * Per-player and per-address limits on rooms and connections, so one player cannot exhaust a node.
 *
 * Colyseus' own matchmaking route (`POST /matchmake/:method/:room`) bypasses the `/v1` stack, so:
 * - per client address (TRUST_PROXY applies, as on /v1): API_RATE_PER_MIN matchmaking calls a minute;
 * - per player (the bearer token): MATCHMAKE_RATE_PER_MIN calls a minute; ROOM_CREATES_PER_MIN rooms
 *   created a minute (`create`, and a `joinOrCreate` that created a room on this node);
 * - a player holds at most MAX_ROOMS_PER_PLAYER distinct rooms and MAX_CONNECTIONS_PER_PLAYER seats
 *   (pending seat reservations and connections) at once. A new seat is reserved in the ledger before
 *   Colyseus is asked, so a parallel burst cannot slip past the count;
 * - clients cannot `create` the node-local `social` and `queue` rooms (they `joinOrCreate` them);
 * - one `social` connection per player: a newer one replaces the older (closed with 4409), on any node;
 *   the queue already holds one ticket per player (MM_ALREADY_QUEUED);
 * - `/matchmake/reconnect` needs the access token of the seat's player (rooms/guard.ts), checked
 *   before Colyseus would close the live owner's connection.
 * - `kick(playerId)` (a ban) closes the player's connections on every node (4403), through the presence bus.
 *
 * The ledger and the limiters live in Redis when the node has one (every node counts against the same
 * budget), in memory otherwise. Ledger entries carry an expiry that the hosting node refreshes, so a
 * dead node's seats stop counting within SEAT_LEASE_MS.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import proxyAddr from "proxy-addr";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { matchMaker, type AuthContext, type Client, type Presence, type RegisteredHandler, type Room } from "@colyseus/core";
import { closeCodeOf, codeOf, refusalText } from "../../protocol/index.ts";
import { encodeRefusal } from "../../protocol/server.ts";
import { playerIdOf, type TokenVerifier } from "../../rooms/index.ts";
import type { Logger } from "../log.ts";

/** How long a ledger entry lives without a refresh from its node (refreshed every third of it). */
export const SEAT_LEASE_MS = 60_000;
/** A reserved seat not used within this long stops counting (Colyseus' seat reservation time is 15 s). */
export const SEAT_RESERVATION_MS = 20_000;
/** Close codes for connections the server ends for a player (no SDK auto-reconnects on them). */
export const CLOSE_BANNED = 4403;
export const CLOSE_REPLACED = 4409;
const KICK_TOPIC = "rally:kick";

export interface PlayerGuardSettings {
  readonly ipPerMin: number;
  readonly playerPerMin: number;
  readonly createsPerMin: number;
  readonly maxRooms: number;
  readonly maxConnections: number;
  /** Express "trust proxy" value (TRUST_PROXY). */
  readonly trustProxy: boolean | number | string;
}

export interface PlayerGuardDeps {
  readonly settings: PlayerGuardSettings;
  readonly tokens: TokenVerifier;
  readonly presence: Presence;
  readonly redis?: Redis;
  readonly logger: Logger;
}

/** One player's seats: `roomId/sessionId` (or `pending/<id>`) with an expiry in ms. */
interface SeatLedger {
  /** Adds (or refreshes) entries, then returns the player's live entries. */
  add(playerId: string, members: ReadonlyArray<readonly [string, number]>, now: number): Promise<string[]>;
  remove(playerId: string, member: string): Promise<void>;
  /** Drops expired entries (memory ledger only; Redis keys expire by themselves). */
  sweep(now: number): void;
}

function memoryLedger(): SeatLedger {
  const players = new Map<string, Map<string, number>>();
  const live = (playerId: string, now: number) => {
    const seats = players.get(playerId);
    if (!seats) return [];
    for (const [m, exp] of seats) if (exp <= now) seats.delete(m);
    if (seats.size === 0) players.delete(playerId);
    return [...seats.keys()];
  };
  return {
    async add(playerId, members, now) {
      let seats = players.get(playerId);
      if (!seats) players.set(playerId, (seats = new Map()));
      for (const [m, exp] of members) seats.set(m, exp);
      return live(playerId, now);
    },
    async remove(playerId, member) {
      const seats = players.get(playerId);
      seats?.delete(member);
      if (seats?.size === 0) players.delete(playerId);
    },
    sweep(now) {
      for (const playerId of [...players.keys()]) live(playerId, now);
    },
  };
}

function redisLedger(redis: Redis): SeatLedger {
  const key = (playerId: string) => `rally:seats:${playerId}`;
  return {
    async add(playerId, members, now) {
      const k = key(playerId);
      const tx = redis.multi().zremrangebyscore(k, "-inf", now);
      for (const [m, exp] of members) tx.zadd(k, String(exp), m);
      tx.zrange(k, "0", "-1").pexpire(k, SEAT_LEASE_MS * 2);
      const out = await tx.exec();
      const range = out?.[1 + members.length]; // [zremrangebyscore, zadd x n, zrange, pexpire]
      return (range?.[1] as string[] | undefined) ?? [];
    },
    async remove(playerId, member) {
      await redis.zrem(key(playerId), member);
    },
    sweep() {},
  };
}

const roomsIn = (members: readonly string[]) => new Set(members.map((m) => (m.startsWith("pending/") ? m : m.split("/")[0]))).size;

type ISeatReservation = Awaited<ReturnType<typeof matchMaker.joinOrCreate>>;
/** Colyseus' `invokeMethod` signature. */
type InvokeMethod = (method: string, roomName: string, clientOptions?: unknown, authOptions?: AuthContext) => Promise<ISeatReservation>;

export interface PlayerGuard {
  /**
   * Tracks a registered room type's joins and leaves in the ledger. `local`: clients never `create` it
   * (they joinOrCreate on the node they reached); `onePerPlayer`: a player's newest connection to it
   * replaces the older ones, on every node (server/node/rooms.ts traits).
   */
  track(name: string, handler: RegisteredHandler, traits?: { local?: boolean; onePerPlayer?: boolean }): RegisteredHandler;
  /** A reserved seat refused at join (rooms/guard.ts): it stops counting at once. */
  joinRefused(roomId: string, sessionId: string, auth: unknown): void;
  /** Closes every connection of this player on every node (a ban). */
  kick(playerId: string): Promise<void>;
  /** Takes over the matchmaking route of this process (after `server.listen`) and starts the ledger refresh. */
  start(http: HttpServer | undefined): Promise<void>;
  close(): Promise<void>;
}

export function createPlayerGuard(deps: PlayerGuardDeps): PlayerGuard {
  const { settings, tokens, presence, redis, logger } = deps;
  const make = (keyPrefix: string, points: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration: 60 });
    if (!redis) return memory;
    return new RateLimiterRedis({ storeClient: redis, keyPrefix: `rally:rl:${keyPrefix}`, points, duration: 60, insuranceLimiter: memory, rejectIfRedisNotReady: true });
  };
  const byIp = make("mm-ip", settings.ipPerMin);
  const byPlayer = make("mm-player", settings.playerPerMin);
  const creates = make("mm-create", settings.createsPerMin);
  const ledger = redis ? redisLedger(redis) : memoryLedger();
  const rooms = new Set<Room>();
  /** Room types registered `local` (track): joined with joinOrCreate on the node reached, never created by a client. */
  const localRooms = new Set<string>();
  const created = new AsyncLocalStorage<Set<string>>();
  const trust = settings.trustProxy === false ? () => false
    : typeof settings.trustProxy === "number" ? ((n: number) => (_a: string, i: number) => i < n)(settings.trustProxy)
      : settings.trustProxy === true ? () => true
        : proxyAddr.compile(settings.trustProxy.split(",").map((s) => s.trim()));
  let original: InvokeMethod | undefined;
  let restoreHttp: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const limited = async (limiter: RateLimiterAbstract, key: string, what: string) => {
    try {
      await limiter.consume(key);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw encodeRefusal("RATE_LIMITED", `too many ${what}; retry in ${Math.ceil(res.msBeforeNext / 1000)} s`);
      throw res;
    }
  };

  const closeLocal = (playerId: string, code: number, keep?: { roomName: string; member: string }) => {
    for (const room of rooms) {
      if (keep && room.roomName !== keep.roomName) continue;
      for (const client of [...room.clients]) {
        if (playerIdOf(client.auth) !== playerId) continue;
        if (keep && `${room.roomId}/${client.sessionId}` === keep.member) continue;
        client.leave(code);
      }
    }
  };
  const onKick = (message: unknown) => {
    const m = message as { playerId?: unknown; code?: unknown; keep?: { roomName: string; member: string } };
    if (typeof m?.playerId === "string" && typeof m.code === "number") closeLocal(m.playerId, m.code, m.keep);
  };

  const guarded: InvokeMethod = async (method, roomName, clientOptions, authContext) => {
    const invoke = original!;
    let playerId: string | null = null;
    try {
      playerId = (await tokens.verifyAccess(authContext?.token || undefined)).playerId;
    } catch (e) {
      // Colyseus runs no onAuth on reconnect: without this the token's holder would take the seat.
      if (method === "reconnect") {
        throw encodeRefusal(codeOf(e, "AUTH_INVALID_TOKEN"), `reconnecting needs the seat's player's access token (${e instanceof Error ? e.message : "invalid token"})`);
      }
      // Any other call: the room's onAuth refuses it with its own code; the per-address limit counted it.
    }
    if (!playerId) return invoke.call(matchMaker.controller, method, roomName, clientOptions, authContext);
    await limited(byPlayer, playerId, `matchmaking calls for this player (limit ${settings.playerPerMin}/min)`);

    if (method === "reconnect") {
      const token = (clientOptions as { reconnectionToken?: unknown } | undefined)?.reconnectionToken;
      if (typeof token === "string") {
        // roomName is the room id here. Asked before Colyseus' reconnect, which closes a live owner's socket.
        const owner = await matchMaker.remoteRoomCall(roomName, "reconnectionOwner", [token]).catch(() => null) as string | null;
        // null: no such seat (Colyseus answers that itself, without touching anyone's connection).
        if (owner !== null && owner !== playerId) throw encodeRefusal("ROOM_RECONNECT_REFUSED", "this reconnection token belongs to another player's seat");
      }
      return invoke.call(matchMaker.controller, method, roomName, clientOptions, authContext);
    }
    if (method === "create" && localRooms.has(roomName)) {
      throw encodeRefusal("ROOM_BAD_OPTIONS", `"${roomName}" rooms are joined with joinOrCreate, never created by clients`);
    }
    const creating = method === "create" || method === "joinOrCreate";
    if (creating) await limited(creates, playerId, `rooms created by this player (limit ${settings.createsPerMin}/min)`);
    const refundCreate = () => (creating ? creates.reward(playerId, 1).catch(() => undefined) : undefined);

    // Reserve first, count second: every request of a parallel burst sees the others.
    const now = Date.now();
    const pending = `pending/${randomUUID()}`;
    let seats: string[];
    try {
      seats = await ledger.add(playerId, [[pending, now + SEAT_LEASE_MS / 2]], now);
    } catch (err) {
      logger.warn({ err }, "seat ledger unreachable; matchmaking without the per-player room count");
      return invoke.call(matchMaker.controller, method, roomName, clientOptions, authContext);
    }
    if (seats.length > settings.maxConnections || roomsIn(seats) > settings.maxRooms) {
      await ledger.remove(playerId, pending).catch(() => undefined);
      await refundCreate();
      throw encodeRefusal("ROOM_LIMIT", `a player holds at most ${settings.maxRooms} rooms and ${settings.maxConnections} connections at once; leave one first`);
    }
    const createdHere = new Set<string>();
    let reservation: ISeatReservation;
    try {
      reservation = await created.run(createdHere, () => invoke.call(matchMaker.controller, method, roomName, clientOptions, authContext));
    } catch (e) {
      await ledger.remove(playerId, pending).catch(() => undefined);
      await refundCreate();
      throw e;
    }
    if (method === "joinOrCreate" && !createdHere.has(reservation.roomId)) await refundCreate();
    const seat = `${reservation.roomId}/${reservation.sessionId}`;
    await ledger.add(playerId, [[seat, Date.now() + SEAT_RESERVATION_MS]], Date.now()).catch(() => undefined);
    await ledger.remove(playerId, pending).catch(() => undefined);
    return reservation;
  };

  /** Re-stamps every local connection's entry so it outlives SEAT_LEASE_MS; drops expired memory entries. */
  const refresh = async () => {
    const now = Date.now();
    const perPlayer = new Map<string, Array<[string, number]>>();
    for (const room of rooms) {
      for (const client of room.clients) {
        const id = playerIdOf(client.auth);
        if (!id) continue;
        let list = perPlayer.get(id);
        if (!list) perPlayer.set(id, (list = []));
        list.push([`${room.roomId}/${client.sessionId}`, now + SEAT_LEASE_MS]);
      }
    }
    for (const [id, members] of perPlayer) await ledger.add(id, members, now).catch(() => undefined);
    ledger.sweep(now);
  };

  /** Per-address limit on the matchmaking route, ahead of Colyseus' own request listener. */
  const gateHttp = (http: HttpServer) => {
    const listeners = http.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    http.removeAllListeners("request");
    const forward = (req: IncomingMessage, res: ServerResponse) => { for (const l of listeners) l.call(http, req, res); };
    const gate = (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== "POST" || !req.url?.startsWith("/matchmake/")) return forward(req, res);
      const ip = proxyAddr(req, trust);
      byIp.consume(ip).then(() => forward(req, res), (r: unknown) => {
        const retryS = r instanceof RateLimiterRes ? Math.ceil(r.msBeforeNext / 1000) : 1;
        const body = JSON.stringify({ code: closeCodeOf("RATE_LIMITED"), error: refusalText("RATE_LIMITED", `too many matchmaking calls from this address (limit ${settings.ipPerMin}/min); retry in ${retryS} s`) });
        // The node's CORS policy, as Colyseus' own listener would have applied (server/http/cors.ts).
        const controller = matchMaker.controller as unknown as { DEFAULT_CORS_HEADERS: Record<string, string>; getCorsHeaders(h: Headers): Record<string, string> };
        const cors = { ...controller.DEFAULT_CORS_HEADERS, ...controller.getCorsHeaders(new Headers(req.headers.origin ? { origin: req.headers.origin } : {})) };
        res.writeHead(429, { ...cors, "content-type": "application/json", "retry-after": String(retryS) });
        res.end(body);
      });
    };
    http.on("request", gate);
    restoreHttp = () => {
      http.removeListener("request", gate);
      for (const l of listeners) http.on("request", l);
    };
  };

  return {
    track(name, handler, traits = {}) {
      if (traits.local) localRooms.add(name);
      return handler
        .on("create", (room) => {
          rooms.add(room);
          created.getStore()?.add(room.roomId);
        })
        .on("dispose", (room) => { rooms.delete(room); })
        .on("join", (room, client: Client) => {
          const id = playerIdOf(client.auth);
          if (!id) return;
          const member = `${room.roomId}/${client.sessionId}`;
          ledger.add(id, [[member, Date.now() + SEAT_LEASE_MS]], Date.now()).catch(() => undefined);
          // One social line per player: the newest wins, wherever the older one lives.
          if (traits.onePerPlayer) presence.publish(KICK_TOPIC, { playerId: id, code: CLOSE_REPLACED, keep: { roomName: name, member } });
        })
        .on("leave", (room, client: Client) => {
          const id = playerIdOf(client.auth);
          if (id) ledger.remove(id, `${room.roomId}/${client.sessionId}`).catch(() => undefined);
        });
    },
    joinRefused(roomId, sessionId, auth) {
      const id = playerIdOf(auth);
      if (id) ledger.remove(id, `${roomId}/${sessionId}`).catch(() => undefined);
    },
    async kick(playerId) {
      await presence.publish(KICK_TOPIC, { playerId, code: CLOSE_BANNED });
    },
    async start(http) {
      await presence.subscribe(KICK_TOPIC, onKick);
      original = matchMaker.controller.invokeMethod as InvokeMethod;
      matchMaker.controller.invokeMethod = guarded as typeof matchMaker.controller.invokeMethod;
      if (http) gateHttp(http);
      timer = setInterval(() => void refresh(), SEAT_LEASE_MS / 3);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      if (original) matchMaker.controller.invokeMethod = original as typeof matchMaker.controller.invokeMethod;
      original = undefined;
      restoreHttp?.();
      presence.unsubscribe(KICK_TOPIC, onKick);
    },
  };
}
