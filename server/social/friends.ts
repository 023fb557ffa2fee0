/**
 * Friends on top of `Store.friends`: the rules (no self, no blocked, limits, the other player must
 * exist), the list with each friend's presence, and the pushes over the `social` room. Presence
 * changes go to friends only, so a blocked player (never a friend) never sees them.
 */
import { RallyError } from "../errors.ts";
import { laggingReads, type FriendLink, type Store } from "../store/index.ts";
import { SocialEvent, type SocialBus } from "./bus.ts";
import type { PresenceService, PresenceView } from "./presence.ts";
import type { Identity } from "./parties.ts";

export const MAX_FRIENDS = 200;
export const MAX_PENDING = 100;

/** Per-player caps on what others can make a player hold (FRIENDS_MAX_BLOCKED, FRIENDS_MAX_INCOMING). */
export interface FriendLimits {
  readonly maxBlocked: number;
  readonly maxIncoming: number;
}

/** One page of `GET /v1/friends`: links in a stable order (friends, incoming, outgoing, blocked). */
export interface FriendsPage {
  readonly limit: number;
  /** Opaque, from the previous page's `nextCursor`. */
  readonly cursor?: string;
}

const KIND_ORDER: Record<FriendLink["kind"], number> = { friend: 0, incoming: 1, outgoing: 2, blocked: 3 };
const encodeOffset = (n: number) => Buffer.from(`o${n}`).toString("base64url");
function decodeOffset(cursor: string): number {
  const m = /^o(\d{1,9})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!m) throw new RallyError("BAD_REQUEST", "cursor: not a cursor from this API");
  return Number(m[1]);
}

export interface FriendEntry {
  readonly playerId: string;
  readonly name: string | null;
  readonly since: number;
}

export interface FriendsList {
  readonly friends: ReadonlyArray<FriendEntry & { readonly presence: Omit<PresenceView, "playerId"> }>;
  readonly incoming: readonly FriendEntry[];
  readonly outgoing: readonly FriendEntry[];
  readonly blocked: readonly FriendEntry[];
  /** Set when more links follow (paged lists only). */
  readonly nextCursor?: string | null;
}

export class FriendsService {
  constructor(private readonly store: Store, private readonly presence: PresenceService, private readonly bus: SocialBus,
    private readonly limits: FriendLimits = { maxBlocked: 500, maxIncoming: 200 },
    private readonly notify?: (playerId: string, kind: "friend_request", data: Record<string, unknown>) => void) {
    presence.onChange((view) => {
      store.friends.friendIds(view.playerId)
        .then((ids) => bus.toPlayers(ids, SocialEvent.PRESENCE, view))
        .catch(() => undefined);
    });
  }

  /** Every link (for the social room's snapshot), or one page of them with `nextCursor`. */
  async list(playerId: string, page?: FriendsPage): Promise<FriendsList> {
    let links = await this.store.friends.list(playerId);
    let nextCursor: string | null = null;
    if (page) {
      const sorted = [...links].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.since - b.since || (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0));
      const from = page.cursor ? decodeOffset(page.cursor) : 0;
      links = sorted.slice(from, from + page.limit);
      if (from + page.limit < sorted.length) nextCursor = encodeOffset(from + page.limit);
    }
    const names = new Map((await laggingReads(this.store).players.getMany(links.map((l) => l.playerId))).map((p) => [p.id, p.name]));
    const entry = (l: FriendLink): FriendEntry => ({ playerId: l.playerId, name: names.get(l.playerId) ?? null, since: l.since });
    const friends = links.filter((l) => l.kind === "friend");
    const presence = await this.presence.getMany(friends.map((l) => l.playerId));
    return {
      friends: friends.map((l, i) => {
        const { playerId: _id, ...p } = presence[i]!;
        return { ...entry(l), presence: p };
      }),
      incoming: links.filter((l) => l.kind === "incoming").map(entry),
      outgoing: links.filter((l) => l.kind === "outgoing").map(entry),
      blocked: links.filter((l) => l.kind === "blocked").map(entry),
      ...(page ? { nextCursor } : {}),
    };
  }

  async request(actor: Identity, targetId: string): Promise<"requested" | "accepted" | "already-friends"> {
    await this.checkTarget(actor.playerId, targetId);
    const links = await this.store.friends.list(actor.playerId);
    if (links.filter((l) => l.kind === "friend").length >= MAX_FRIENDS) throw new RallyError("FRIEND_LIMIT", `at most ${MAX_FRIENDS} friends`);
    if (links.filter((l) => l.kind === "outgoing").length >= MAX_PENDING) throw new RallyError("FRIEND_LIMIT", `at most ${MAX_PENDING} pending requests`);
    // The receiver's side too: nobody can pile unbounded requests onto one player.
    const theirs = await this.store.friends.list(targetId);
    const alreadyAsked = theirs.some((l) => l.playerId === actor.playerId);
    if (!alreadyAsked && theirs.filter((l) => l.kind === "incoming").length >= this.limits.maxIncoming) {
      throw new RallyError("FRIEND_LIMIT", "that player has too many pending friend requests");
    }
    const outcome = await this.store.friends.request(actor.playerId, targetId);
    if (outcome === "requested") {
      this.bus.toPlayer(targetId, SocialEvent.FRIENDS, { kind: "request", playerId: actor.playerId, name: actor.name });
      this.notify?.(targetId, "friend_request", { playerId: actor.playerId, name: actor.name });
    }
    if (outcome === "accepted") await this.befriended(actor, targetId);
    return outcome;
  }

  async accept(actor: Identity, fromId: string): Promise<void> {
    await this.store.friends.accept(actor.playerId, fromId);
    await this.befriended(actor, fromId);
  }

  async decline(actor: Identity, otherId: string): Promise<void> {
    if (!(await this.store.friends.decline(actor.playerId, otherId))) throw new RallyError("FRIEND_REQUEST_NOT_FOUND");
    this.bus.toPlayer(otherId, SocialEvent.FRIENDS, { kind: "declined", playerId: actor.playerId });
  }

  async remove(actor: Identity, otherId: string): Promise<void> {
    if (!(await this.store.friends.remove(actor.playerId, otherId))) throw new RallyError("NOT_FRIENDS");
    this.bus.toPlayer(otherId, SocialEvent.FRIENDS, { kind: "removed", playerId: actor.playerId });
  }

  /** Silent for the blocked player: it just stops being a friend (a `removed` event) and sees nothing more. */
  async block(actor: Identity, otherId: string): Promise<void> {
    // Only existing players, and a bounded list: blocks are rows the store keeps forever.
    await this.checkTarget(actor.playerId, otherId);
    const links = await this.store.friends.list(actor.playerId);
    const blocked = links.filter((l) => l.kind === "blocked");
    if (!blocked.some((l) => l.playerId === otherId) && blocked.length >= this.limits.maxBlocked) {
      throw new RallyError("FRIEND_LIMIT", `at most ${this.limits.maxBlocked} blocked players`);
    }
    const wasFriend = await this.store.friends.areFriends(actor.playerId, otherId);
    await this.store.friends.block(actor.playerId, otherId);
    if (wasFriend) this.bus.toPlayer(otherId, SocialEvent.FRIENDS, { kind: "removed", playerId: actor.playerId });
  }

  async unblock(actor: Identity, otherId: string): Promise<void> {
    if (!(await this.store.friends.unblock(actor.playerId, otherId))) throw new RallyError("NOT_FOUND", "that player is not blocked");
  }

  private async checkTarget(me: string, targetId: string): Promise<void> {
    if (targetId === me) throw new RallyError("FRIEND_SELF");
    if (!(await this.store.players.get(targetId))) throw new RallyError("NOT_FOUND", "no such player");
  }

  /** Both sides learn of the friendship and of each other's presence at once. */
  private async befriended(actor: Identity, otherId: string): Promise<void> {
    this.bus.toPlayer(otherId, SocialEvent.FRIENDS, { kind: "accepted", playerId: actor.playerId, name: actor.name });
    this.bus.toPlayer(actor.playerId, SocialEvent.FRIENDS, { kind: "accepted", playerId: otherId });
    const [a, b] = await this.presence.getMany([actor.playerId, otherId]);
    this.bus.toPlayer(otherId, SocialEvent.PRESENCE, a);
    this.bus.toPlayer(actor.playerId, SocialEvent.PRESENCE, b);
  }
}
