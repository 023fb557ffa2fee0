/**
 * Pushes to one player wherever its `social` room connection lives: a pub/sub channel per player on
 * Colyseus' Presence (RedisPresence in a cluster, LocalPresence in one process). The social room
 * subscribes the channel of every player it holds and forwards each event as a room message.
 */
import type { Presence } from "@colyseus/core";

/** Every event type the social room forwards (the room message type is the event type). */
export const SocialEvent = {
  /** `{ playerId, status, mode, since }` — a friend's presence changed. */
  PRESENCE: "presence",
  /** `{ kind, playerId }` — a friend request arrived, was accepted, declined or a friend removed you. */
  FRIENDS: "friends",
  /** The whole party as the member sees it (`PartyView`), or null once you are out of it. */
  PARTY: "party",
  /** `{ partyId, from, fromName, mode, expiresAt }` — you were invited to a party. */
  PARTY_INVITE: "party.invite",
  /** `{ partyId, mode }` — your leader started queueing: join `queue` with `{ mode, partyId }`. */
  PARTY_QUEUE: "party.queue",
  /** `{ partyId, reason, playerId? }` — the party's queueing stopped (a member left, the leader cancelled). */
  PARTY_QUEUE_CANCELLED: "party.queue.cancelled",
  /** A chat message (`ChatMessage`) on a channel you are in (server/chat). */
  CHAT: "chat",
  /** `{ item, unread }` — a new inbox notification (server/chat/inbox.ts). */
  INBOX: "inbox",
  /** `{ unread }` — your unread count changed (items marked read on any device). */
  INBOX_UNREAD: "inbox.unread",
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
