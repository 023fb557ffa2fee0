/**
 * `social`: a player's live line to the social service. It carries no state and takes no commands
 * (those are HTTP, server/http/social-routes.ts); it pushes events: friends' presence, friend
 * requests, party changes and invites, "your party is queueing". Any Colyseus SDK can join it with
 * the access token: `joinOrCreate("social")`.
 *
 * Chat goes the other way too: a client sends `chat` `{ channel: "direct"|"party"|"match", to?,
 * matchId?, text, ref? }` and gets `chat.sent` `{ ref, message }` or `chat.error` `{ ref, code,
 * message, reason? }`; recipients (the sender's other sessions too) get `chat` with the message.
 *
 * Each room subscribes the pub/sub channel of every player it holds (server/social/bus.ts), so a push
 * reaches the player wherever its connection lives. Holding a connection is what makes a player
 * "online" (a dropped connection has SOCIAL_RECONNECT_S to come back before the player goes offline).
 */
import { Room, matchMaker, type Client } from "@colyseus/core";
import { z } from "zod";
import { authenticate } from "../match-room.ts";
import type { PlayerIdentity } from "../services.ts";
import type { SocialRoomServices } from "./services.ts";
import { SocialMessage } from "../../protocol/index.ts";

export const SOCIAL_RECONNECT_S = 10;
const joinOptions = z.object({}).strict();

/** The `chat` message (length is checked against CHAT_MAX_LENGTH by the chat service; this bounds the frame). */
export const chatSendSchema = z.object({
  channel: z.enum(["direct", "party", "match"]),
  to: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  matchId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  text: z.string().max(10_000),
  /** Echoed in the reply so a client can match it to what it sent. */
  ref: z.string().max(64).optional(),
}).strict();

export class SocialRoom extends Room {
  static services: SocialRoomServices | undefined;
  /** playerId -> sessions of that player in this room */
  private readonly sessions = new Map<string, Set<Client>>();
  private readonly forwarders = new Map<string, (message: { type: string; payload: unknown }) => void>();

  private static servicesOf(klass: unknown): SocialRoomServices {
    const services = (klass as typeof SocialRoom).services;
    if (!services) throw new Error("SocialRoom has no services: register it through bindSocialRoom()");
    return services;
  }

  private get services(): SocialRoomServices {
    return SocialRoom.servicesOf(this.constructor);
  }

  override onCreate(): void {
    this.maxClients = 500;
    this.patchRate = null;
    this.maxMessagesPerSecond = 10;
    // Stays on the node that created it (registered `local`, server/node/rooms.ts); unlisted in the lobby.
    this.metadata = { ...this.metadata, node: matchMaker.processId };
    void this.setMatchmaking({ unlisted: true, metadata: this.metadata });
    this.onMessage(SocialMessage.CHAT, (client, raw: unknown) => void this.chat(client, raw));
    // No other commands on this line; anything else sent is ignored (the rate limit still applies).
    this.onMessage("*", () => undefined);
  }

  private async chat(client: Client, raw: unknown): Promise<void> {
    const parsed = chatSendSchema.safeParse(raw);
    const ref = typeof (raw as { ref?: unknown } | null)?.ref === "string" ? String((raw as { ref: string }).ref).slice(0, 64) : null;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      client.send(SocialMessage.CHAT_ERROR, { ref, code: "BAD_REQUEST", message: `${issue?.path.join(".") || "message"}: ${issue?.message ?? "invalid"}` });
      return;
    }
    const auth = client.auth as PlayerIdentity | undefined;
    if (!auth) return;
    const { ref: _ref, ...message } = parsed.data;
    try {
      const out = await this.services.sendChat(auth, message);
      if (out.ok) client.send(SocialMessage.CHAT_SENT, { ref, message: out.message });
      else client.send(SocialMessage.CHAT_ERROR, { ref, code: out.code, message: out.message, ...(out.reason ? { reason: out.reason } : {}) });
    } catch (err) {
      this.services.logger.warn({ err, playerId: auth.playerId }, "chat send failed");
      client.send(SocialMessage.CHAT_ERROR, { ref, code: "INTERNAL", message: "Internal error." });
    }
  }

  override async onJoin(client: Client, _options: unknown, auth: PlayerIdentity): Promise<void> {
    const { playerId } = auth;
    let set = this.sessions.get(playerId);
    if (!set) {
      this.sessions.set(playerId, (set = new Set()));
      const forward = (message: { type: string; payload: unknown }) => {
        for (const c of this.sessions.get(playerId) ?? []) c.send(message.type, message.payload);
      };
      this.forwarders.set(playerId, forward);
      await this.presence.subscribe(this.services.channelOf(playerId), forward);
    }
    set.add(client);
    await this.services.connected(playerId);
    client.send(SocialMessage.SNAPSHOT, await this.services.snapshot(playerId));
  }

  override onDrop(client: Client): void {
    this.allowReconnection(client, SOCIAL_RECONNECT_S).catch(() => undefined);
  }

  override async onLeave(client: Client): Promise<void> {
    const playerId = (client.auth as PlayerIdentity | undefined)?.playerId;
    if (!playerId) return;
    const set = this.sessions.get(playerId);
    if (!set?.delete(client)) return;
    if (set.size === 0) {
      this.sessions.delete(playerId);
      const forward = this.forwarders.get(playerId);
      this.forwarders.delete(playerId);
      this.presence.unsubscribe(this.services.channelOf(playerId), forward);
    }
    await this.services.disconnected(playerId).catch((err) => this.services.logger.warn({ err, playerId }, "presence disconnect failed"));
  }
}

/** A SocialRoom subclass bound to its services (closures, no module singleton). */
export function bindSocialRoom<C extends typeof SocialRoom>(Klass: C, services: SocialRoomServices): C {
  const Base = Klass as unknown as typeof SocialRoom;
  class Bound extends Base {
    static override services = services;
    // Colyseus calls static onAuth detached from its class: the services come from this closure.
    static override async onAuth(token: string, options: unknown): Promise<PlayerIdentity> {
      return authenticate(services, joinOptions, token, options);
    }
  }
  Object.defineProperty(Bound, "name", { value: Klass.name });
  return Bound as unknown as C;
}
