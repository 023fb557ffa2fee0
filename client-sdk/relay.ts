/**
 * Typed helpers for the lobby (custom games listed in real time) and relay sessions (listen-server /
 * peer-to-peer: the server only passes messages on, as `[fromSessionId, payload]`).
 *
 *   const relay = new RelayClient(rally);
 *   const session = await relay.host({ migrateHost: true });   // share session.code
 *   const peer = await relay.join(code);
 *   peer.on("message", (type, from, data) => ...); peer.send("move", { x, y }); peer.sendTo(sessionId, "hi", data);
 */
import type { Room } from "@colyseus/sdk";
import { Emitter } from "./emitter.ts";
import { RallyApiError, toRoomError } from "./errors.ts";
import type { RallyClient } from "./index.ts";

export interface RoomListing {
  roomId: string;
  name: string;
  clients: number;
  maxClients: number;
  metadata: { name?: string; mode?: string; region?: string; hostName?: string; private?: boolean; [k: string]: unknown };
}

export type LobbyEvents = { rooms: (rooms: RoomListing[]) => void };

/** The `lobby` room: the full list of custom games and realtime updates. */
export class LobbyHandle extends Emitter<LobbyEvents> {
  rooms: RoomListing[] = [];
  constructor(readonly room: Room, private readonly filter: { mode?: string; region?: string }) {
    super();
    const keep = (r: RoomListing) => r.name === "custom" && (!filter.mode || r.metadata?.mode === filter.mode) && (!filter.region || r.metadata?.region === filter.region);
    room.onMessage("rooms", (list: RoomListing[]) => { this.rooms = list.filter(keep); this.emit("rooms", this.rooms); });
    room.onMessage("+", ([id, listing]: [string, RoomListing]) => {
      this.rooms = [...this.rooms.filter((r) => r.roomId !== id), ...(keep(listing) ? [listing] : [])];
      this.emit("rooms", this.rooms);
    });
    room.onMessage("-", (id: string) => { this.rooms = this.rooms.filter((r) => r.roomId !== id); this.emit("rooms", this.rooms); });
  }
  leave(): Promise<unknown> { return this.room.leave(true); }
}

export type PeerEvents = {
  /** Any relayed message: its type, the sender's sessionId, the payload. */
  message: (type: string, from: string, data: unknown) => void;
  /** The host changed (migrateHost). */
  host: (sessionId: string) => void;
  /** The session ended (the host left without migration). */
  ended: (reason: string) => void;
  error: (e: { code: string; message: string }) => void;
};

/** A seat in a relay session or custom game. */
export class PeerSession extends Emitter<PeerEvents> {
  constructor(readonly room: Room, readonly code: string | null) {
    super();
    room.onMessage("*", (type: string | number, message: unknown) => {
      if (type === "host") return this.emit("host", (message as { sessionId: string }).sessionId);
      if (type === "ended") return this.emit("ended", (message as { reason: string }).reason);
      if (type === "error") return this.emit("error", message as { code: string; message: string });
      const [from, data] = Array.isArray(message) ? (message as [string, unknown]) : ["", message];
      this.emit("message", String(type), from, data);
    });
  }
  get sessionId(): string { return this.room.sessionId; }
  get hostId(): string { return (this.room.state as { host?: string }).host ?? ""; }
  get isHost(): boolean { return this.hostId === this.room.sessionId; }
  /** To every other peer. */
  send(type: string, data: unknown): void { this.room.send(type, data); }
  /** To one peer (arrives as type `to`). */
  sendTo(sessionId: string, data: unknown): void { this.room.send("to", { to: sessionId, data }); }
  leave(): Promise<unknown> { return this.room.leave(true); }
}

export class RelayClient {
  constructor(private readonly rally: RallyClient) {}

  /** Joins the lobby; `filter` keeps only custom games of that mode / region. */
  async lobby(filter: { mode?: string; region?: string } = {}): Promise<LobbyHandle> {
    await this.rally.auth.ensureFresh();
    return new LobbyHandle(await this.wrap(() => this.rally.colyseus.joinOrCreate("lobby", {})), filter);
  }

  /** Creates a custom game (listed in the lobby unless `private`; its code is in `room.state.code`). */
  async createGame(options: { name?: string; mode?: string; region?: string; private?: boolean; maxClients?: number; migrateHost?: boolean } = {}): Promise<PeerSession> {
    await this.rally.auth.ensureFresh();
    const room = await this.wrap(() => this.rally.colyseus.create("custom", options));
    return new PeerSession(room, (room.state as { code?: string }).code ?? null);
  }

  /** Joins a listed custom game by id, or any game by its join code. */
  async joinGame(target: { roomId: string } | { code: string }): Promise<PeerSession> {
    await this.rally.auth.ensureFresh();
    if ("roomId" in target) return new PeerSession(await this.wrap(() => this.rally.colyseus.joinById(target.roomId, {})), null);
    const code = target.code.trim().toUpperCase();
    const found = await this.rally.request<{ kind: string; roomId?: string }>("GET", `/v1/join-codes/${encodeURIComponent(code)}`, undefined, true);
    if (found.kind !== "custom" || !found.roomId) throw new RallyApiError("JOIN_CODE_NOT_FOUND", "that code is not a custom game", 404);
    return new PeerSession(await this.wrap(() => this.rally.colyseus.joinById(found.roomId!, { code })), code);
  }

  /** Hosts a relay session (private; peers join with the returned code). */
  async host(options: { maxClients?: number; migrateHost?: boolean } = {}): Promise<PeerSession> {
    const s = await this.rally.request<{ roomId: string; code: string; relayToken: string }>("POST", "/v1/relay", options, true);
    return new PeerSession(await this.wrap(() => this.rally.colyseus.joinById(s.roomId, { relayToken: s.relayToken })), s.code);
  }

  /** Joins a relay session by its code (the server issues this player's relay token). */
  async join(code: string): Promise<PeerSession> {
    const s = await this.rally.request<{ roomId: string; relayToken: string }>("POST", "/v1/relay/join", { code: code.trim().toUpperCase() }, true);
    return new PeerSession(await this.wrap(() => this.rally.colyseus.joinById(s.roomId, { relayToken: s.relayToken })), code);
  }

  private async wrap(join: () => Promise<Room>): Promise<Room> {
    try {
      return await join();
    } catch (e) {
      throw toRoomError(e);
    }
  }
}
