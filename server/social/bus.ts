/**
 * Pushes to one player wherever its `social` room connection lives: a pub/sub channel per player on
 * Colyseus' Presence (RedisPresence in a cluster, LocalPresence in one process). The social room
 * subscribes the channel of every player it holds and forwards each event as a room message.
 */
import type { Presence } from "@colyseus/core";
import { SocialMessage as SocialMessageName } from "../../protocol/index.ts";

/** Every event type the social room forwards (the room message type is the event type; protocol `SocialMessage`). */
export const SocialEvent = {
  PRESENCE: SocialMessageName.PRESENCE,
  FRIENDS: SocialMessageName.FRIENDS,
  PARTY: SocialMessageName.PARTY,
  PARTY_INVITE: SocialMessageName.PARTY_INVITE,
  PARTY_QUEUE: SocialMessageName.PARTY_QUEUE,
  PARTY_QUEUE_CANCELLED: SocialMessageName.PARTY_QUEUE_CANCELLED,
  CHAT: SocialMessageName.CHAT,
  INBOX: SocialMessageName.INBOX,
  INBOX_UNREAD: SocialMessageName.INBOX_UNREAD,
} as const;
export type SocialEvent = (typeof SocialEvent)[keyof typeof SocialEvent];

export interface SocialMessage {
  readonly type: SocialEvent;
  readonly payload: unknown;
}

export const playerChannel = (playerId: string) => `rally:social:p:${playerId}`;

export interface SocialBus {
  toPlayer(playerId: string, type: SocialEvent, payload: unknown): void;
  toPlayers(playerIds: Iterable<string>, type: SocialEvent, payload: unknown): void;
}

export function createSocialBus(presence: Presence): SocialBus {
  const toPlayer = (playerId: string, type: SocialEvent, payload: unknown) => {
    const message: SocialMessage = { type, payload };
    // JSON-cloned, so a LocalPresence subscriber never shares our objects.
    void Promise.resolve(presence.publish(playerChannel(playerId), JSON.parse(JSON.stringify(message)))).catch(() => undefined);
  };
  return {
    toPlayer,
    toPlayers(ids, type, payload) {
      for (const id of new Set(ids)) toPlayer(id, type, payload);
    },
  };
}
