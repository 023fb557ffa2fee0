/**
 * Listen-server and peer-to-peer sessions on Colyseus' `RelayRoom`: no game logic on the server,
 * every message is passed on as `[fromSessionId, payload]` (to everyone else, or to one peer with
 * the `to` message). One player is the host; when the host leaves for good the session ends
 * (`ended` `{ reason: "host-left" }`), or with `migrateHost` the longest-standing peer becomes host
 * (`host` `{ sessionId }`).
 *
 * Two registrations share it:
 * - `relay` (RelayRoom): private; created over HTTP (`POST /v1/relay`), joined with a relay token the
 *   server issues per player and room (`{ relayToken }`), single use.
 * - `custom` (CustomGameRoom): player-made custom games, listed in the `lobby` in real time (unless
 *   private), filtered by `mode` and `region`; every game has a short join code, and a private one
 *   admits only players who bring it (`{ code }`).
 *
 * Limits: at most RELAY_MAX_MESSAGE_BYTES per message (bigger ones are dropped with an `error`),
 * RELAY_MAX_MESSAGES_PER_S per client (Colyseus closes a client above it, code 4002), 2-16 peers.
 */
import { CloseCode, RelayRoom, type Client } from "@colyseus/core";
import { schema, t } from "@colyseus/schema";
import { z } from "zod";
import type { ErrorCode } from "../../protocol/index.ts";
import { encodeRefusal, refusalFrom } from "../../protocol/server.ts";
import { authenticate } from "../match-room.ts";
import type { PlayerIdentity } from "../services.ts";
import type { SocialRoomServices } from "./services.ts";

export const RELAY_MAX_MESSAGE_BYTES = 4096;
export const RELAY_MAX_MESSAGES_PER_S = 60;
export const RELAY_RECONNECT_S = 10;

/** The fields of Colyseus' RelayRoom player, so RelayRoom clients read it unchanged. */
export const PeerPlayer = schema({
  connected: t.boolean(),
  name: t.string(),
  sessionId: t.string(),
}, "PeerPlayer");

export const PeerState = schema({
  players: t.map(PeerPlayer),
  /** sessionId of the host ("" until the host is in). */
  host: t.string().default(""),
  /** The session's join code (share it to invite). */
  code: t.string().default(""),
}, "PeerState");
export type PeerStateView = InstanceType<typeof PeerState>;

const common = {
  maxClients: z.number().int().min(2).max(16).optional(),
  /** When the host leaves: true = the next peer hosts, false (default) = the session ends. */
  migrateHost: z.boolean().optional(),
};
export const relayOptionsSchema = z.object({ ...common, relayToken: z.string().max(128).optional() }).strict();
export const customGameOptionsSchema = z.object({
  ...common,
  name: z.string().trim().regex(/^[\p{L}\p{N}_\- ']{1,32}$/u, "1 to 32 letters, digits, spaces, '_-").optional(),
  mode: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional(),
  region: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/).optional(),
  private: z.boolean().optional(),
  code: z.string().max(16).optional(),
}).strict();

/** Server-side create options (HTTP `POST /v1/relay` creates relay rooms for a host). */
interface CreateOptions {
  maxClients?: number;
  migrateHost?: boolean;
  hostId?: string;
  name?: string;
  mode?: string;
  region?: string;
  private?: boolean;
}

abstract class PeerRoom extends RelayRoom {
  static services: SocialRoomServices | undefined;
  protected abstract readonly codeKind: "custom" | "relay";
  protected migrateHost = false;
  protected hostId: string | null = null;
  protected code = "";
  /** sessionIds in join order (host migration picks the first). */
  private readonly order: string[] = [];
  private ended = false;

  protected get services(): SocialRoomServices {
    const services = (this.constructor as typeof PeerRoom).services;
    if (!services) throw new Error(`${this.constructor.name} has no services: register it through bindPeerRoom()`);
    return services;
  }

  protected get peers(): PeerStateView {
    return this.state as unknown as PeerStateView;
  }

  override async onCreate(options: CreateOptions): Promise<void> {
    this.state = new PeerState() as unknown as RelayRoom["state"];
    this.maxClients = options.maxClients ?? 8;
    this.migrateHost = options.migrateHost ?? false;
    this.hostId = options.hostId ?? null;
    this.maxMessagesPerSecond = RELAY_MAX_MESSAGES_PER_S;
    this.code = await this.services.createCode(this.codeKind, this.roomId);
    this.peers.code = this.code;
    this.onMessage("to", (client, message: unknown) => {
      const parsed = z.object({ to: z.string().min(1).max(64), data: z.unknown() }).safeParse(message);
      if (!parsed.success || !this.withinSize(client, message)) return;
      this.clients.getById(parsed.data.to)?.send("to", [client.sessionId, parsed.data.data]);
    });
    this.onMessage("*", (client, type, message) => {
      if (!this.withinSize(client, message)) return;
      this.broadcast(type, [client.sessionId, message], { except: client });
    });
  }

  private withinSize(client: Client, message: unknown): boolean {
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(message ?? null));
    } catch {
      bytes = Infinity;
    }
    if (bytes <= RELAY_MAX_MESSAGE_BYTES) return true;
    client.send("error", { code: "RELAY_MESSAGE_TOO_LARGE" satisfies ErrorCode, message: `messages are limited to ${RELAY_MAX_MESSAGE_BYTES} bytes` });
    return false;
  }

  override onJoin(client: Client, _options: Record<string, unknown> = {}, auth?: PlayerIdentity): void | Promise<void> {
    const player = new PeerPlayer();
    player.connected = true;
    player.sessionId = client.sessionId;
    player.name = auth?.name ?? "";
    this.peers.players.set(client.sessionId, player);
    this.order.push(client.sessionId);
    if (!this.peers.host && (!this.hostId || this.hostId === auth?.playerId)) this.peers.host = client.sessionId;
  }

  override onDrop(client: Client): void {
    const player = this.peers.players.get(client.sessionId);
    if (player) player.connected = false;
    this.allowReconnection(client, RELAY_RECONNECT_S).catch(() => undefined);
  }

  override onReconnect(client: Client): void {
    const player = this.peers.players.get(client.sessionId);
    if (player) player.connected = true;
  }

  override async onLeave(client: Client, _code?: number): Promise<void> {
    this.peers.players.delete(client.sessionId);
    this.order.splice(this.order.indexOf(client.sessionId) >>> 0, 1);
    if (this.ended || this.peers.host !== client.sessionId) return;
    const next = this.order.find((id) => this.peers.players.get(id));
    if (this.migrateHost && next) {
      this.peers.host = next;
      this.broadcast("host", { sessionId: next });
      return;
    }
    this.peers.host = "";
    if (this.clients.length === 0 && !next) return; // autoDispose takes it from here
    this.ended = true;
    this.broadcast("ended", { reason: "host-left" });
    this.clock.setTimeout(() => void this.disconnect(CloseCode.CONSENTED), 50);
  }

  override async onDispose(): Promise<void> {
    if (this.code) await this.services.releaseCode(this.code).catch(() => undefined);
  }
}

export class RelaySessionRoom extends PeerRoom {
  protected readonly codeKind = "relay" as const;

  static readonly joinOptions: z.ZodType = relayOptionsSchema;
  static readonly requiresRelayToken = true;

  override async onCreate(options: CreateOptions): Promise<void> {
    await super.onCreate(options);
    await this.setPrivate(true);
    this.metadata = { ...this.metadata, code: this.code, hostId: this.hostId };
  }

  override async onJoin(client: Client, options: Record<string, unknown> = {}, auth?: PlayerIdentity): Promise<void> {
    if (!auth || !(await this.services.redeemRelayToken(options.relayToken, auth.playerId, this.roomId))) {
      throw encodeRefusal("RELAY_TOKEN_INVALID", "a relay token issued for this session is required (POST /v1/relay or /v1/relay/join)");
    }
    super.onJoin(client, {}, auth);
  }
}

export class CustomGameRoom extends PeerRoom {
  protected readonly codeKind = "custom" as const;
  private isPrivate = false;

  static readonly joinOptions: z.ZodType = customGameOptionsSchema;
  static readonly requiresRelayToken = false;

  override async onCreate(options: CreateOptions): Promise<void> {
    await super.onCreate({ ...options, hostId: undefined });
    this.isPrivate = options.private ?? false;
    if (this.isPrivate) await this.setPrivate(true);
    // Spread: filterBy has already put mode/region from the options here (the Colyseus pitfall).
    this.metadata = {
      ...this.metadata,
      name: options.name ?? "Custom game",
      mode: options.mode ?? "custom",
      region: options.region ?? this.services.region,
      private: this.isPrivate,
      migrateHost: this.migrateHost,
    };
  }

  override async onJoin(client: Client, options: Record<string, unknown> = {}, auth?: PlayerIdentity): Promise<void> {
    // The creator takes the first seat; anyone else needs the code for a private game.
    const code = typeof options.code === "string" ? options.code.toUpperCase() : "";
    if (this.isPrivate && this.peers.players.size > 0) {
      // Every attempt costs the player's budget before the code is compared (right or wrong), like
      // GET /v1/join-codes/:code: guessing over WebSocket is no faster than over HTTP.
      try {
        await this.services.codeAttempt(auth?.playerId ?? "");
      } catch (e) {
        throw refusalFrom(e, "RATE_LIMITED");
      }
      if (code !== this.code) throw encodeRefusal("JOIN_CODE_NOT_FOUND", "this game is private: join it with its code");
    }
    super.onJoin(client, {}, auth);
    if (this.peers.players.size === 1) void this.setMatchmaking({ metadata: { ...this.metadata, hostName: auth?.name ?? "" } });
  }
}

/** A peer room subclass bound to its services. */
export function bindPeerRoom<C extends typeof RelaySessionRoom | typeof CustomGameRoom>(Klass: C, services: SocialRoomServices): C {
  const Base = Klass as unknown as typeof RelaySessionRoom;
  const { joinOptions, requiresRelayToken } = Klass;
  class Bound extends Base {
    static override services = services;
    // Colyseus calls static onAuth detached from its class: the services come from this closure.
    static override async onAuth(token: string, options: unknown): Promise<PlayerIdentity> {
      const identity = await authenticate(services, joinOptions, token, options);
      // Refused before any seat is reserved, so a stranger cannot make a fresh session dispose itself;
      // onJoin then spends the token and checks its room.
      if (requiresRelayToken && !(await services.relayTokenFor((options as { relayToken?: unknown }).relayToken, identity.playerId))) {
        throw encodeRefusal("RELAY_TOKEN_INVALID", "a relay token issued to you is required (POST /v1/relay or /v1/relay/join)");
      }
      return identity;
    }
  }
  Object.defineProperty(Bound, "name", { value: Klass.name });
  return Bound as unknown as C;
}
