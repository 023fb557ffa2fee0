/**
 * What every room Rally registers gets, whatever its class (match rooms, queue, social, relay,
 * custom, lobby): applied once where the node registers its rooms (`guardRoom`).
 *
 * - A message limit: a room that sets no `maxMessagesPerSecond` (Colyseus' default is Infinity, e.g.
 *   LobbyRoom) gets the node's default; a client above it is closed (4002).
 * - Reconnection is bound to the seat's player: a reconnection token only works with an access token
 *   of the player who held the seat (the WebSocket `_authToken`, which every SDK sends). Colyseus
 *   itself runs no onAuth on reconnect, so anyone holding the token took the seat. The matchmaking
 *   route (`/matchmake/reconnect`) asks `reconnectionOwner` first (server/node/guard.ts), before
 *   Colyseus would close a live owner's connection.
 * - A room is created only on the node placement chose (`placedOn`, see PLACED_ON), never by
 *   Colyseus' local fallback after a create request to that node timed out.
 * - Frame decoding is watched (FrameWatch): a malformed frame is the client's fault, logged once per
 *   client at warn and counted, not an error-level stack an attacker can repeat at will.
 */
import { CloseCode, matchMaker, type AuthContext, type Client, type Room } from "@colyseus/core";
import { codeOf } from "../protocol/index.ts";
import { encodeRefusal } from "../protocol/server.ts";
import type { TokenVerifier } from "./services.ts";
/**
 * Create option the node's placement (`selectProcessIdToCreateRoom`) stamps with the chosen node's
 * process id. Colyseus creates a room locally when the create request to the chosen node times out
 * (`ipc_timeout`); the guard refuses that, so the caller (the matcher) sees a failure and requeues
 * instead of seating players on a node placement did not pick.
 */
export const PLACED_ON = "placedOn";

/** Brackets Colyseus' decoding of one client frame (see server/node/sockets.ts). */
export interface FrameWatch {
  enter(client: Client): void;
  exit(): void;
  /** The frame threw out of Colyseus' decoder: malformed (the client is closed). */
  failed(client: Client, err: unknown): void;
}

export interface RoomGuardDeps {
  readonly tokens: TokenVerifier;
  /** Messages per second per client for rooms that set no limit of their own. */
  readonly maxMessagesPerSecond: number;
  readonly frames?: FrameWatch;
  /**
   * Bytes the room may queue for a client that has not acknowledged its join yet (Colyseus keeps them
   * in memory until the client's JOIN_ROOM answer); above it the client is closed (4002).
   */
  readonly maxQueuedBytes?: number;
  /** A reserved seat was refused at join (onJoin threw): its holder no longer holds it. Colyseus emits no `leave` for it. */
  readonly joinRefused?: (roomId: string, sessionId: string, auth: unknown) => void;
}

/** The player id in a client's auth data (every Rally room's onAuth returns a PlayerIdentity). */
export function playerIdOf(auth: unknown): string | null {
  const id = (auth as { playerId?: unknown } | null | undefined)?.playerId;
  return typeof id === "string" ? id : null;
}

interface RoomInternals {
  _reconnections: Record<string, [string, unknown] | undefined>;
  _reservedSeats: Record<string, [unknown, unknown, boolean, boolean] | undefined>;
  _onJoin(client: Client, authContext: AuthContext | undefined, connectionOptions?: { reconnectionToken?: string | null }): Promise<void>;
  _onMessage(client: Client, buffer: Uint8Array): void;
}

/** The player whose seat a reconnection token belongs to (a dropped seat or a live connection), or null. */
export function reconnectionOwner(room: Room, reconnectionToken: string): string | null {
  const internals = room as unknown as RoomInternals;
  const sessionId = internals._reconnections[reconnectionToken]?.[0];
  const seat = sessionId !== undefined ? internals._reservedSeats[sessionId] : undefined;
  // A seat waiting for its player keeps the previous client's auth (Colyseus' allowReconnection).
  if (seat?.[3]) return playerIdOf(seat[1]);
  return playerIdOf(room.clients.find((c) => c.reconnectionToken === reconnectionToken)?.auth);
}

/**
 * The token a player takes a held seat back with (a rejoin, rooms/match-room.ts `heldSeat`): the
 * reconnection token of the seat `allowReconnection` keeps for `sessionId`, else the live client's
 * (a connection the player lost without the server noticing yet: Colyseus closes it when the token
 * reconnects). Null: no such seat. Colyseus keeps these private; read here only, beside
 * `reconnectionOwner`, which the guard checks every such reconnection against.
 */
export function seatReconnectionToken(room: Room, sessionId: string): string | null {
  const internals = room as unknown as RoomInternals;
  if (internals._reservedSeats[sessionId]?.[3]) {
    for (const [token, entry] of Object.entries(internals._reconnections)) if (entry?.[0] === sessionId) return token;
    return null;
  }
  return room.clients.find((c) => c.sessionId === sessionId)?.reconnectionToken ?? null;
}

/** The session id of a seat reserved for `playerId` and not used yet (never a seat held for reconnection), or null. */
export function unusedReservationOf(room: Room, playerId: string): string | null {
  const seats = (room as unknown as RoomInternals)._reservedSeats;
  for (const [sessionId, seat] of Object.entries(seats)) {
    if (seat && !seat[2] && !seat[3] && playerIdOf(seat[1]) === playerId) return sessionId;
  }
  return null;
}

/** Seats Colyseus counts against `maxClients` besides connected clients (reservations, held reconnections). */
export function reservedSeatCount(room: Room): number {
  return Object.keys((room as unknown as RoomInternals)._reservedSeats).length;
}

/** A client that never acknowledges its join would have every message kept for it in memory. */
function boundJoinQueue(client: Client, maxBytes: number): void {
  const internals = client as unknown as { _enqueuedMessages?: unknown[]; enqueueRaw(data: Uint8Array, options?: unknown): void };
  const enqueue = internals.enqueueRaw.bind(client);
  let queued = 0;
  internals.enqueueRaw = (data, options) => {
    if (internals._enqueuedMessages !== undefined) {
      queued += data.byteLength;
      if (queued > maxBytes) {
        internals._enqueuedMessages = [];
        // A close frame would wait behind what the client is not reading: cut the connection.
        const ref = client.ref as { terminate?: () => void };
        if (typeof ref.terminate === "function") ref.terminate();
        else client.leave(CloseCode.WITH_ERROR);
        return;
      }
    }
    enqueue(data, options);
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin constructor shape TypeScript requires
type AnyRoomClass = new (...args: any[]) => Room;

export function guardRoom<C extends AnyRoomClass>(Klass: C, deps: RoomGuardDeps): C {
  const base = Klass.prototype as unknown as RoomInternals & { onCreate?: (options: unknown) => unknown };
  class Guarded extends Klass {
    override onCreate(options: unknown): void | Promise<unknown> {
      const placedOn = (options as Record<string, unknown> | null | undefined)?.[PLACED_ON];
      if (typeof placedOn === "string" && placedOn !== matchMaker.processId) {
        throw encodeRefusal("ROOM_WRONG_NODE", `placed on node ${placedOn}, which did not answer in time; not created on ${matchMaker.processId}`);
      }
      const limit = () => {
        if (!Number.isFinite(this.maxMessagesPerSecond)) this.maxMessagesPerSecond = deps.maxMessagesPerSecond;
      };
      limit(); // no message can arrive before onCreate ends; set early anyway
      const out = base.onCreate?.call(this, options) as void | Promise<unknown>;
      if (out && typeof (out as Promise<unknown>).then === "function") return (out as Promise<unknown>).then((v) => { limit(); return v; });
      limit();
      return out;
    }

    /** Called by the node over IPC (any node) before a `/matchmake/reconnect` reaches Colyseus. */
    reconnectionOwner(reconnectionToken: string): string | null {
      return typeof reconnectionToken === "string" ? reconnectionOwner(this, reconnectionToken) : null;
    }
  }
  // Colyseus declares these private; the override goes on the prototype.
  Object.defineProperty(Guarded.prototype, "_onJoin", {
    configurable: true, writable: true,
    value: async function guardedOnJoin(this: Room, client: Client, authContext: AuthContext | undefined, connectionOptions?: { reconnectionToken?: string | null }): Promise<void> {
      const token = connectionOptions?.reconnectionToken;
      if (typeof token === "string" && token) {
        const owner = reconnectionOwner(this, token);
        let playerId: string;
        try {
          playerId = (await deps.tokens.verifyAccess(authContext?.token || undefined)).playerId;
        } catch (e) {
          throw encodeRefusal(codeOf(e, "AUTH_INVALID_TOKEN"), `reconnecting needs the seat's player's access token (${e instanceof Error ? e.message : "invalid token"})`);
        }
        if (owner === null || owner !== playerId) throw encodeRefusal("ROOM_RECONNECT_REFUSED", "this reconnection token belongs to another player's seat");
      }
      if (deps.maxQueuedBytes !== undefined) boundJoinQueue(client, deps.maxQueuedBytes);
      const seatAuth = (this as unknown as RoomInternals)._reservedSeats[client.sessionId]?.[1];
      try {
        return await base._onJoin.call(this, client, authContext, connectionOptions);
      } catch (e) {
        // A failed reconnection leaves the held seat in place; a refused first join frees it.
        if (!token) deps.joinRefused?.(this.roomId, client.sessionId, seatAuth ?? client.auth);
        throw e;
      }
    },
  });
  if (deps.frames) {
    const frames = deps.frames;
    Object.defineProperty(Guarded.prototype, "_onMessage", {
      configurable: true, writable: true,
      value: function guardedOnMessage(this: Room, client: Client, buffer: Uint8Array): void {
        frames.enter(client);
        try {
          base._onMessage.call(this, client, buffer);
        } catch (err) {
          frames.failed(client, err);
        } finally {
          frames.exit();
        }
      },
    });
  }
  Object.defineProperty(Guarded, "name", { value: Klass.name });
  return Guarded;
}
