/**
 * The social service: friends, presence, parties, join codes and relay tokens, built once per node
 * and handed to the HTTP routes (server/http/social-routes.ts) and the social/lobby/relay rooms
 * (rooms/social). Live state sits in the social KV: Redis when REDIS_URL is set (so any node serves
 * any player), process memory otherwise. Pushes travel over Colyseus' Presence pub/sub.
 */
import { randomUUID } from "node:crypto";
import type { Presence } from "@colyseus/core";
import type { Redis } from "ioredis";
import type { Store } from "../store/index.ts";
import { createSocialBus, type SocialBus } from "./bus.ts";
import { FriendsService, type FriendLimits } from "./friends.ts";
import { JoinCodes } from "./join-codes.ts";
import { MemoryKv, RedisKv, type SocialKv } from "./kv.ts";
import { PartyService, partyCap, type PartyModes } from "./parties.ts";
import { PresenceService, PresenceStatus } from "./presence.ts";
import { RelayTokens } from "./relay-tokens.ts";

export { SocialEvent, playerChannel, type SocialBus, type SocialMessage } from "./bus.ts";
export { FriendsService, type FriendsList, type FriendEntry, type FriendLimits } from "./friends.ts";
export { JoinCodes, JOIN_CODE, type JoinTarget } from "./join-codes.ts";
export { MemoryKv, RedisKv, type SocialKv } from "./kv.ts";
export { PartyService, partyCap, type PartyModes, type PartyView, type Identity } from "./parties.ts";
export { PresenceService, PresenceStatus, noPresence, type PlayerPresence, type PresenceActivity, type PresenceView } from "./presence.ts";
export { RelayTokens } from "./relay-tokens.ts";

export interface SocialServices {
  readonly kv: SocialKv;
  readonly bus: SocialBus;
  readonly presence: PresenceService;
  readonly friends: FriendsService;
  readonly parties: PartyService;
  readonly codes: JoinCodes;
  readonly relayTokens: RelayTokens;
  start(): void;
  close(): Promise<void>;
}

export interface SocialOptions {
  store: Store;
  /** Colyseus presence of the node (pub/sub for pushes). */
  presence: Presence;
  /** Cluster state (presence, parties, codes); owned and closed by the caller. Unset: memory. */
  redis?: Redis;
  presenceTtlMs: number;
  /** Caps per player: players blocked, pending friend requests received. */
  friendLimits: FriendLimits;
  /** The queue modes: a party's cap is its mode's `party.maxSize` (`partyCap`). */
  partyModes: PartyModes;
  onError?(err: unknown, what: string): void;
  /** Leaves a notification in the player's inbox (server/chat): friend requests and party invites. */
  notify?(playerId: string, kind: "friend_request" | "party_invite", data: Record<string, unknown>): void;
}

export function createSocialServices(o: SocialOptions): SocialServices {
  const kv = o.redis ? new RedisKv(o.redis) : new MemoryKv();
  const bus = createSocialBus(o.presence);
  const presence = new PresenceService({ kv, nodeId: randomUUID(), ttlMs: o.presenceTtlMs, sweepMs: Math.min(1000, o.presenceTtlMs / 3), onError: (e) => o.onError?.(e, "presence") });
  const friends = new FriendsService(o.store, presence, bus, o.friendLimits, o.notify);
  const codes = new JoinCodes(kv);
  const parties = new PartyService({ kv, bus, codes, friends: o.store.friends, maxSizeFor: (mode) => partyCap(o.partyModes, mode), notify: o.notify });
  // Party membership needs a live player: going offline (a closed social connection, or a dead
  // node's presence expiring) leaves the party, which hands leadership over and stops queueing.
  presence.onChange((view) => {
    const fail = (e: unknown) => o.onError?.(e, "party presence hook");
    if (view.status === PresenceStatus.OFFLINE) {
      parties.of(view.playerId).then((p) => (p ? parties.leave({ playerId: view.playerId, name: "" }, "disconnected") : undefined)).catch(fail);
    } else if (view.status === PresenceStatus.IN_MATCH) {
      parties.matched(view.playerId).catch(fail);
    }
  });
  return {
    kv, bus, presence, friends, parties, codes, relayTokens: new RelayTokens(kv),
    start: () => {
      // Memory only: expired entries nobody reads again are dropped on a timer (Redis expires its own).
      if (kv instanceof MemoryKv) kv.start();
      presence.start();
    },
    async close() {
      presence.stop();
      if (kv instanceof MemoryKv) kv.close();
    },
  };
}
