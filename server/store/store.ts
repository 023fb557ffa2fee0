/**
 * The persistence seam: one `Store` with a repository per concern. Implementations pass one
 * conformance suite (test/server/store/store.test.ts): the embedded SQLite store (`node:sqlite`; DATA_DIR, or
 * in memory for tests), PostgreSQL (DATABASE_URL; server/store/postgres.ts) and MongoDB through
 * mongoose (MONGO_URL).
 *
 * Rules every implementation keeps:
 * - `matches.apply` is all-or-nothing and idempotent by matchId (ratings, stats, history,
 *   leaderboard records and rewards land together or not at all; a second call changes nothing).
 * - inventory grants and consumes are atomic and idempotent by (playerId, idempotencyKey); a
 *   consume never takes a count below zero; of two concurrent consumes of the last item one wins.
 * - every returned object is the caller's own copy.
 */
import type { MatchResult } from "../../rooms/index.ts";

export interface PlayerBan {
  readonly reason: string;
  readonly at: number;
}

export interface PlayerRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly deviceId?: string;
  /** Set once a guest is upgraded to an account (original spelling; unique case-insensitively). */
  readonly username?: string;
  readonly banned?: PlayerBan;
}

/**
 * A platform account (an OpenID Connect issuer's `sub`, a Steam id) that signs into one player.
 * `provider` is the configured provider name (`google`, `apple`, `steam`): a stable key, never renamed.
 */
export interface IdentityRecord {
  readonly provider: string;
  readonly subject: string;
  readonly playerId: string;
  readonly linkedAt: number;
}

/** openskill skill plus the displayed number and win/loss stats, per player and mode. */
export interface RatingRecord {
  readonly playerId: string;
  readonly mode: string;
  readonly mu: number;
  readonly sigma: number;
  /** Displayed MMR (conservative: mu - 3 sigma on an Elo-like scale). */
  readonly mmr: number;
  readonly wins: number;
  readonly losses: number;
  readonly draws: number;
  readonly matches: number;
  readonly updatedAt: number;
}

export type HistoryOutcome = "win" | "loss" | "draw" | "none";

export interface HistoryEntry {
  readonly playerId: string;
  readonly matchId: string;
  readonly mode: string;
  readonly endedAt: number;
  readonly team: number;
  readonly score: number;
  readonly outcome: HistoryOutcome;
  readonly mmrBefore: number | null;
  readonly mmrAfter: number | null;
}

/** "best" keeps the higher of old and new score; "latest" replaces it (ratings). */
export type LeaderboardKeep = "best" | "latest";

export interface LeaderboardWrite {
  readonly board: string;
  readonly playerId: string;
  readonly score: number;
  readonly keep: LeaderboardKeep;
}

export interface LeaderboardEntry {
  readonly playerId: string;
  readonly score: number;
  /** 1-based; ties are ordered by playerId descending (the order of Redis ZREVRANGE). */
  readonly rank: number;
}

/** Item id -> count. Ids: 1-64 of `A-Za-z0-9_.:-`; counts positive integers. */
export type Items = Readonly<Record<string, number>>;

export interface InventoryChange {
  /** False when the idempotency key had already been applied (nothing changed this time). */
  readonly applied: boolean;
  /** The player's whole inventory after the operation. */
  readonly items: Items;
}

/** Everything a match result writes besides the result itself, computed from the current ratings. */
export interface ResultPlan {
  readonly ratings: readonly RatingRecord[];
  readonly history: readonly HistoryEntry[];
  readonly leaderboards: readonly LeaderboardWrite[];
  /** Granted through the inventory with idempotency key `match:<matchId>`. */
  readonly rewards: ReadonlyArray<{ readonly playerId: string; readonly items: Items }>;
}

export type ResultPlanner = (current: ReadonlyMap<string, RatingRecord>) => ResultPlan;

export interface SessionRecord {
  /** A refresh-token family: one login and every token rotated from it. */
  readonly familyId: string;
  readonly playerId: string;
  /** The only refresh token id of the family that may still be used. */
  readonly jti: string;
  readonly expiresAt: number;
}

/** rotated: ok. reused: an older token of the family was presented, the family is now revoked. */
export type RotateOutcome = "rotated" | "reused" | "revoked" | "unknown";

export interface AnalyticsEvent {
  readonly at: number;
  readonly type: string;
  readonly playerId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Cursor {
  readonly endedAt: number;
  readonly matchId: string;
}

/**
 * One side of a relation as `playerId` sees it: a friend, a request it sent (outgoing) or received
 * (incoming), or a player it blocked. Being blocked by someone is never listed.
 */
export type FriendKind = "friend" | "outgoing" | "incoming" | "blocked";

export interface FriendLink {
  readonly playerId: string;
  readonly kind: FriendKind;
  /** When the relation reached this kind (epoch ms). */
  readonly since: number;
}

/** requested: a request is now pending; accepted: the other side had asked first, so they are friends now. */
export type FriendRequestOutcome = "requested" | "accepted" | "already-friends";

/**
 * Reads that may lag behind the latest writes by a moment: other players' public profiles, names on
 * leaderboards and friend lists, leaderboard pages. A store with read replicas (PostgreSQL with
 * DATABASE_READ_URL) serves them from a replica; every other store serves them like any read. A
 * player's own reads after their own writes never go through here.
 */
export interface LaggingReads {
  readonly players: Pick<Store["players"], "get" | "getMany">;
  readonly ratings: Pick<Store["ratings"], "get" | "list">;
  readonly matches: Pick<Store["matches"], "history">;
  readonly leaderboards: Pick<Store["leaderboards"], "top" | "entry" | "count">;
}

/** Where lag-tolerant reads go: the store's replica reads when it has them, the store itself otherwise. */
export function laggingReads(store: Store): LaggingReads {
  return store.replica ?? store;
}

/** One chat line. `id` sorts by time (see server/chat/ids.ts), so a page cursor is a message id. */
export interface ChatMessage {
  readonly id: string;
  /** `direct:<a>:<b>` (ids sorted), `party:<partyId>` or `match:<matchId>`. */
  readonly channel: string;
  readonly from: string;
  readonly fromName: string;
  readonly text: string;
  readonly at: number;
}

export type InboxKind = "friend_request" | "party_invite" | "match_result" | "admin";

/** A notification a player reads when it comes online. `id` sorts by time, like chat ids. */
export interface InboxItem {
  readonly id: string;
  readonly playerId: string;
  readonly kind: InboxKind;
  readonly data: Readonly<Record<string, unknown>>;
  readonly at: number;
  /** Epoch ms it was marked read; null while unread. */
  readonly readAt: number | null;
}

export interface Store {
  /** Optional: lag-tolerant reads from a read replica (see `LaggingReads`; use `laggingReads(store)`). */
  readonly replica?: LaggingReads;
  readonly players: {
    /** The guest player bound to this device id (created on first sight), or a new one without it. */
    guest(deviceId?: string): Promise<PlayerRecord>;
    get(playerId: string): Promise<PlayerRecord | null>;
    getMany(playerIds: readonly string[]): Promise<PlayerRecord[]>;
    /** Returns the updated record, null for an unknown player. */
    rename(playerId: string, name: string): Promise<PlayerRecord | null>;
    /** Sets (or with null lifts) a ban. Returns the updated record, null for an unknown player. */
    setBan(playerId: string, ban: PlayerBan | null): Promise<PlayerRecord | null>;
  };
  readonly accounts: {
    /**
     * Upgrades a guest to an account. Throws RallyError USERNAME_TAKEN (any case) or
     * ALREADY_REGISTERED; NOT_FOUND for an unknown player.
     */
    register(playerId: string, username: string, passwordHash: string): Promise<PlayerRecord>;
    /** Case-insensitive lookup. */
    byUsername(username: string): Promise<{ player: PlayerRecord; passwordHash: string } | null>;
  };
  /**
   * Platform identities (conformance: test/server/store/store.test.ts "platform identities"). One (provider,
   * subject) signs into one player; a player has at most one identity per provider. Link and unlink
   * of one player are serialized, so two concurrent unlinks can never remove its last way in.
   */
  readonly identities: {
    /** The player this identity signs into; a new player (guest name, no device) bound to it when unknown. Concurrent first sign-ins resolve to one player. */
    signIn(provider: string, subject: string): Promise<{ player: PlayerRecord; created: boolean }>;
    find(provider: string, subject: string): Promise<IdentityRecord | null>;
    /**
     * Links the identity to the player. Idempotent for the same link. Throws RallyError IDENTITY_TAKEN
     * (bound to another player), PROVIDER_ALREADY_LINKED (the player has another subject of this
     * provider), NOT_FOUND (unknown player).
     */
    link(playerId: string, provider: string, subject: string): Promise<IdentityRecord>;
    /** The player's identities, by provider name. */
    list(playerId: string): Promise<IdentityRecord[]>;
    /**
     * Removes the player's identity of this provider. Throws IDENTITY_NOT_LINKED when there is none and
     * LAST_SIGN_IN_METHOD when the player has no username and no other identity (a device id does not
     * count: it stops signing in once a credential is attached).
     */
    unlink(playerId: string, provider: string): Promise<IdentityRecord>;
  };
  readonly sessions: {
    create(session: SessionRecord): Promise<void>;
    /** Compare-and-set of the family's current jti; a stale jti revokes the family. */
    rotate(familyId: string, jti: string, nextJti: string, expiresAt: number): Promise<RotateOutcome>;
    revoke(familyId: string): Promise<void>;
    revokeAll(playerId: string): Promise<void>;
  };
  readonly ratings: {
    get(playerId: string, mode: string): Promise<RatingRecord | null>;
    list(playerId: string): Promise<RatingRecord[]>;
    /** Admin override; the leaderboard record for the same board is written in the same step. */
    set(rating: RatingRecord, board?: LeaderboardWrite): Promise<void>;
  };
  readonly matches: {
    /** Records a result with no other effect; false (and nothing changed) when the matchId is known. */
    record(result: MatchResult): Promise<boolean>;
    /**
     * Records the result and applies `plan(current ratings of its players)` in one atomic step.
     * False, with nothing changed and `plan` possibly not called, when the matchId is already known.
     */
    apply(result: MatchResult, plan: ResultPlanner): Promise<boolean>;
    get(matchId: string): Promise<MatchResult | null>;
    /** Newest first; `before` is the last entry of the previous page. */
    history(playerId: string, options: { limit: number; before?: Cursor }): Promise<HistoryEntry[]>;
  };
  readonly leaderboards: {
    submit(write: LeaderboardWrite): Promise<void>;
    top(board: string, limit: number, offset?: number): Promise<LeaderboardEntry[]>;
    entry(board: string, playerId: string): Promise<LeaderboardEntry | null>;
    count(board: string): Promise<number>;
  };
  readonly inventory: {
    get(playerId: string): Promise<Items>;
    /** Throws IDEMPOTENCY_CONFLICT when the key was used for a different operation. */
    grant(playerId: string, items: Items, idempotencyKey: string): Promise<InventoryChange>;
    /** Throws INSUFFICIENT_ITEMS (nothing changed) when any count would go below zero. */
    consume(playerId: string, items: Items, idempotencyKey: string): Promise<InventoryChange>;
  };
  /**
   * Friend relations (conformance: test/server/social/social-store.test.ts). Every change between two players is
   * one atomic step; a block removes the friendship and pending requests both ways.
   */
  readonly friends: {
    /** `from` asks `to`. A pending request the other way becomes a friendship. Throws RallyError FRIEND_BLOCKED when either blocked the other. */
    request(from: string, to: string): Promise<FriendRequestOutcome>;
    /** `playerId` accepts `fromId`'s pending request; throws FRIEND_REQUEST_NOT_FOUND when there is none. */
    accept(playerId: string, fromId: string): Promise<void>;
    /** Drops a pending request between the two (received or sent); false when there was none. */
    decline(playerId: string, otherId: string): Promise<boolean>;
    /** Ends the friendship; false when they were not friends. */
    remove(playerId: string, otherId: string): Promise<boolean>;
    /** `playerId` blocks `otherId`: friendship and requests both ways are dropped. Idempotent. */
    block(playerId: string, otherId: string): Promise<void>;
    unblock(playerId: string, otherId: string): Promise<boolean>;
    /** What `playerId` sees, oldest first. */
    list(playerId: string): Promise<FriendLink[]>;
    friendIds(playerId: string): Promise<string[]>;
    areFriends(a: string, b: string): Promise<boolean>;
    /** True when either player blocked the other. */
    blocked(a: string, b: string): Promise<boolean>;
  };
  readonly events: {
    append(events: readonly AnalyticsEvent[]): Promise<void>;
    count(): Promise<number>;
  };
  /** Chat history per channel (conformance: test/server/chat/chat-store.test.ts). */
  readonly chat: {
    /** Stores one message; a second append of the same (channel, id) changes nothing. */
    append(message: ChatMessage): Promise<void>;
    /** Newest first; `before` is a message id (exclusive). */
    history(channel: string, options: { limit: number; before?: string }): Promise<ChatMessage[]>;
    /** Deletes up to `limit` messages older than `olderThan` (epoch ms); returns how many. Idempotent, safe from any node. */
    prune(olderThan: number, limit: number): Promise<number>;
  };
  /** Per-player notifications (conformance: test/server/chat/chat-store.test.ts). */
  readonly inbox: {
    /** False (nothing changed) when the player already has an item with this id: adds are idempotent by id. */
    add(item: InboxItem): Promise<boolean>;
    /** Newest first; `before` is an item id (exclusive). */
    list(playerId: string, options: { limit: number; before?: string; unreadOnly?: boolean }): Promise<InboxItem[]>;
    unread(playerId: string): Promise<number>;
    /** Marks the given items (or all) read at `at`; returns how many were unread. */
    markRead(playerId: string, ids: readonly string[] | "all", at: number): Promise<number>;
    /** Deletes up to `limit` items older than `olderThan`; returns how many. */
    prune(olderThan: number, limit: number): Promise<number>;
  };
  close(): Promise<void>;
}

/** Test-only fault injection, honoured by every implementation. */
export interface StoreHooks {
  /** Called inside `matches.apply` after the first writes and before the rest; throwing aborts it. */
  midResult?(matchId: string): void;
}

export const ITEM_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Validates an item map (shared by implementations so they refuse the same input). */
export function checkItems(items: Items): Array<[string, number]> {
  const entries = Object.entries(items);
  if (entries.length === 0 || entries.length > 64) throw new RangeError("1 to 64 items");
  for (const [id, n] of entries) {
    if (!ITEM_ID.test(id)) throw new RangeError(`bad item id ${JSON.stringify(id)}`);
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`bad count for ${id}`);
  }
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Stable fingerprint of an inventory operation, to tell a retry from a different use of the same key. */
export function operationDigest(op: string, items: Items): string {
  return `${op}:${checkItems(items).map(([k, v]) => `${k}=${v}`).join(",")}`;
}

const ADJECTIVES = ["Swift", "Brave", "Quiet", "Lucky", "Bold", "Clever", "Rapid", "Calm"];
const ANIMALS = ["Fox", "Otter", "Hawk", "Lynx", "Wolf", "Panda", "Heron", "Badger"];

export function guestName(): string {
  const pick = (list: string[]) => list[Math.floor(Math.random() * list.length)];
  return `${pick(ADJECTIVES)}${pick(ANIMALS)}${Math.floor(Math.random() * 1000)}`;
}
