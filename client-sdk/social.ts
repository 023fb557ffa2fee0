/**
 * Typed helpers for friends, parties, the lobby and the `social` room (pushed presence and party
 * events). Everything is plain HTTP under `/v1` plus Colyseus rooms, so any SDK can do the same.
 *
 *   const social = new SocialClient(rally);
 *   await social.connect();                       // joins `social`: presence, invites, party pushes
 *   social.on("presence", (p) => draw(p));
 *   await social.friends.request(otherId);
 *   const party = await social.party.create("5v5");
 *   social.on("partyQueue", ({ partyId, mode }) => joinQueue(mode, partyId)); // every member
 *   social.on("chat", (m) => show(m));             // direct, party and match messages
 *   await social.chat.send({ channel: "direct", to: otherId, text: "gg" });
 *   const { items, unread } = await social.inbox.list();
 */
import type { Room } from "@colyseus/sdk";
import { decodeRefusal, type ErrorCode } from "../protocol/errors.ts";
import { SocialMessage } from "../protocol/messages.ts";
import { Emitter } from "./emitter.ts";
import { RallyApiError, toRoomError } from "./errors.ts";
import type { RallyClient } from "./index.ts";

export type PresenceStatus = "online" | "in_queue" | "in_match" | "offline";
export interface Presence { playerId: string; status: PresenceStatus; mode: string | null; since: number | null }
export interface FriendEntry { playerId: string; name: string | null; since: number }
export interface FriendsList {
  friends: Array<FriendEntry & { presence: Omit<Presence, "playerId"> }>;
  incoming: FriendEntry[];
  outgoing: FriendEntry[];
  blocked: FriendEntry[];
}
export interface PartyView {
  partyId: string;
  leaderId: string;
  members: Array<{ playerId: string; name: string }>;
  mode: string | null;
  maxSize: number;
  code: string;
  invited: string[];
  queue: { mode: string; since: number } | null;
}
export interface PartyInvite { partyId: string; from: string; fromName: string; mode: string | null; expiresAt: number }
export interface ChatMessage { id: string; channel: string; from: string; fromName: string; text: string; at: number }
export type ChatSend =
  | { channel: "direct"; to: string; text: string }
  | { channel: "party"; text: string }
  | { channel: "match"; matchId: string; text: string };
export type InboxKind = "friend_request" | "party_invite" | "match_result" | "admin";
export interface InboxItem { id: string; playerId: string; kind: InboxKind; data: Record<string, unknown>; at: number; readAt: number | null }
export interface InboxPage { items: InboxItem[]; unread: number; nextCursor: string | null }
/** A chat message was refused: `code` from the server's catalog (CHAT_TOO_LONG, CHAT_RATE_LIMITED, CHAT_REJECTED with `reason`, FRIEND_BLOCKED, ...). */
export class ChatRefusedError extends Error {
  override readonly name = "ChatRefusedError";
  constructor(readonly code: ErrorCode, message: string, readonly reason?: string) {
    super(message);
  }
}
export interface FriendsEvent { kind: "request" | "accepted" | "declined" | "removed"; playerId: string; name?: string }

export type SocialEvents = {
  presence: (p: Presence) => void;
  friends: (e: FriendsEvent) => void;
  /** The party changed (null: you are no longer in one). */
  party: (party: PartyView | null) => void;
  partyInvite: (invite: PartyInvite) => void;
  /** Your leader started queueing: join `queue` with `{ mode, partyId }` (see `queueWithParty`). */
  partyQueue: (e: { partyId: string; mode: string }) => void;
  /** The party's queueing stopped; the helper has already left the queue room. */
  partyQueueCancelled: (e: { partyId: string; reason: string; playerId?: string }) => void;
  snapshot: (s: { friends: FriendsList; party: PartyView | null; inbox: { unread: number } }) => void;
  /** A message on one of your channels (yours too, from your other sessions). */
  chat: (m: ChatMessage) => void;
  /** A new inbox notification, with the unread count after it. */
  inbox: (e: { item: InboxItem; unread: number }) => void;
  /** The unread count changed (items read on any of your devices). */
  inboxUnread: (e: { unread: number }) => void;
  disconnected: (code: number) => void;
};

export class SocialClient extends Emitter<SocialEvents> {
  room: Room | null = null;
  /** The queue room the party helper joined, left again when the party stops queueing. */
  queueRoom: Room | null = null;
  readonly friends: FriendsApi;
  readonly party: PartyApi;
  readonly chat: ChatApi;
  readonly inbox: InboxApi;

  constructor(private readonly rally: RallyClient) {
    super();
    this.friends = new FriendsApi(rally);
    this.party = new PartyApi(rally, this);
    this.chat = new ChatApi(rally, this);
    this.inbox = new InboxApi(rally);
  }

  /** Joins the `social` room (you show as online to friends while connected). */
  async connect(): Promise<void> {
    await this.rally.auth.ensureFresh();
    try {
      this.room = await this.rally.colyseus.joinOrCreate("social", {});
    } catch (e) {
      throw toRoomError(e);
    }
    const r = this.room;
    r.onMessage(SocialMessage.SNAPSHOT, (s: Parameters<SocialEvents["snapshot"]>[0]) => this.emit("snapshot", s));
    r.onMessage(SocialMessage.PRESENCE, (p: Presence) => this.emit("presence", p));
    r.onMessage(SocialMessage.FRIENDS, (e: FriendsEvent) => this.emit("friends", e));
    r.onMessage(SocialMessage.PARTY, (p: PartyView | null) => this.emit("party", p));
    r.onMessage(SocialMessage.PARTY_INVITE, (i: PartyInvite) => this.emit("partyInvite", i));
    r.onMessage(SocialMessage.PARTY_QUEUE, (e: { partyId: string; mode: string }) => this.emit("partyQueue", e));
    r.onMessage(SocialMessage.PARTY_QUEUE_CANCELLED, (e: { partyId: string; reason: string; playerId?: string }) => {
      void this.leaveQueue().finally(() => this.emit("partyQueueCancelled", e));
    });
    r.onMessage(SocialMessage.CHAT, (m: ChatMessage) => this.emit("chat", m));
    r.onMessage(SocialMessage.CHAT_SENT, (e: { ref: string | null; message: ChatMessage }) => this.chat.settle(e.ref, e.message, null));
    r.onMessage(SocialMessage.CHAT_ERROR, (e: { ref: string | null; code: ErrorCode; message: string; reason?: string }) => {
      const { code, message } = decodeRefusal(e);
      this.chat.settle(e.ref, null, new ChatRefusedError(code, message, e.reason));
    });
    r.onMessage(SocialMessage.INBOX, (e: { item: InboxItem; unread: number }) => this.emit("inbox", e));
    r.onMessage(SocialMessage.INBOX_UNREAD, (e: { unread: number }) => this.emit("inboxUnread", e));
    r.onLeave((code: number) => this.emit("disconnected", code));
  }

  async disconnect(): Promise<void> {
    await this.leaveQueue();
    await this.room?.leave(true);
    this.room = null;
  }

  /**
   * Joins `queue` with `{ mode, partyId }` (what every member does on `partyQueue`). Needs the
   * `queue` room of Rally's matchmaker on the server. Returns the queue room (listen for `seat`).
   */
  async queueWithParty(e: { partyId: string; mode: string }): Promise<Room> {
    await this.rally.auth.ensureFresh();
    try {
      this.queueRoom = await this.rally.colyseus.joinOrCreate("queue", { mode: e.mode, partyId: e.partyId });
    } catch (err) {
      throw toRoomError(err);
    }
    return this.queueRoom;
  }

  /** Leaves the queue room (the queue cancels the party's ticket for everyone). */
  async leaveQueue(): Promise<void> {
    const q = this.queueRoom;
    this.queueRoom = null;
    if (q?.connection?.isOpen) await q.leave(true).catch(() => undefined);
  }
}

export class FriendsApi {
  constructor(private readonly rally: RallyClient) {}
  /** Every friend, request and block: follows `nextCursor` through the pages of `GET /v1/friends`. */
  async list(): Promise<FriendsList> {
    const all: FriendsList = { friends: [], incoming: [], outgoing: [], blocked: [] };
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const query: string = cursor ? `?limit=500&cursor=${encodeURIComponent(cursor)}` : "?limit=500";
      const page: FriendsList & { nextCursor?: string | null } = await this.rally.request("GET", `/v1/friends${query}`, undefined, true);
      all.friends.push(...page.friends); all.incoming.push(...page.incoming);
      all.outgoing.push(...page.outgoing); all.blocked.push(...page.blocked);
      cursor = page.nextCursor ?? null;
      if (!cursor) break;
    }
    return all;
  }
  async request(playerId: string): Promise<"requested" | "accepted" | "already-friends"> {
    return (await this.rally.request<{ status: "requested" | "accepted" | "already-friends" }>("POST", "/v1/friends/requests", { playerId }, true)).status;
  }
  private act(playerId: string, action: string): Promise<unknown> {
    return this.rally.request("POST", `/v1/friends/${encodeURIComponent(playerId)}/${action}`, undefined, true);
  }
  async accept(playerId: string): Promise<void> { await this.act(playerId, "accept"); }
  async decline(playerId: string): Promise<void> { await this.act(playerId, "decline"); }
  async remove(playerId: string): Promise<void> { await this.act(playerId, "remove"); }
  async block(playerId: string): Promise<void> { await this.act(playerId, "block"); }
  async unblock(playerId: string): Promise<void> { await this.act(playerId, "unblock"); }
}

export class PartyApi {
  constructor(private readonly rally: RallyClient, private readonly social: SocialClient) {}
  private async call(path: string, body?: unknown): Promise<PartyView | null> {
    return (await this.rally.request<{ party: PartyView | null }>(path === "" ? "GET" : "POST", `/v1/party${path}`, body, true)).party;
  }
  current(): Promise<PartyView | null> { return this.call(""); }
  async create(mode: string | null = null): Promise<PartyView> {
    return (await this.rally.request<{ party: PartyView }>("POST", "/v1/party", { mode }, true)).party;
  }
  invite(playerId: string) { return this.call("/invite", { playerId }); }
  accept(partyId: string) { return this.call("/accept", { partyId }); }
  async decline(partyId: string): Promise<void> { await this.rally.request("POST", "/v1/party/decline", { partyId }, true); }
  join(code: string) { return this.call("/join", { code }); }
  /** Leaves the party, and the queue room first when the party is queueing. */
  async leave(): Promise<void> {
    await this.social.leaveQueue();
    await this.call("/leave", {});
  }
  kick(playerId: string) { return this.call("/kick", { playerId }); }
  promote(playerId: string) { return this.call("/promote", { playerId }); }
  setMode(mode: string | null) { return this.call("/mode", { mode }); }
  /** Leader only: every member (you too) gets `partyQueue` and should call `social.queueWithParty`. */
  queue(mode: string) { return this.call("/queue", { mode }); }
  cancelQueue() { return this.call("/queue/cancel", {}); }
}

/** Chat over the `social` room (connect first) and its history over HTTP. */
export class ChatApi {
  private seq = 0;
  private readonly pending = new Map<string, { resolve(m: ChatMessage): void; reject(e: Error): void }>();
  constructor(private readonly rally: RallyClient, private readonly social: SocialClient) {}

  /** Sends one message; resolves with it as stored, rejects with ChatRefusedError. */
  send(message: ChatSend): Promise<ChatMessage> {
    const room = this.social.room;
    if (!room) return Promise.reject(new RallyApiError("NOT_CONNECTED", "call social.connect() first", 0));
    const ref = `c${++this.seq}`;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      room.send(SocialMessage.CHAT, { ...message, ref });
    });
  }

  /** @internal the room's reply to `send`. */
  settle(ref: string | null, message: ChatMessage | null, error: Error | null): void {
    const waiter = ref === null ? undefined : this.pending.get(ref);
    if (!waiter) return;
    this.pending.delete(ref!);
    if (message) waiter.resolve(message);
    else waiter.reject(error ?? new Error("chat refused"));
  }

  /**
   * One page of a channel's history, newest first: `direct:<playerId>`, `party:<partyId>` or
   * `match:<matchId>` (or a message's `channel`). Pass the page's `nextCursor` as `before` for the next.
   */
  history(channel: string, page: { before?: string; limit?: number } = {}): Promise<{ messages: ChatMessage[]; nextCursor: string | null }> {
    const q = new URLSearchParams();
    if (page.before) q.set("before", page.before);
    if (page.limit) q.set("limit", String(page.limit));
    const query = q.toString() ? `?${q}` : "";
    return this.rally.request("GET", `/v1/chat/${encodeURIComponent(channel)}/history${query}`, undefined, true);
  }
}

/** The inbox: notifications (friend requests, party invites, match results, admin messages) and the unread count. */
export class InboxApi {
  constructor(private readonly rally: RallyClient) {}
  list(page: { before?: string; limit?: number; unreadOnly?: boolean } = {}): Promise<InboxPage> {
    const q = new URLSearchParams();
    if (page.before) q.set("before", page.before);
    if (page.limit) q.set("limit", String(page.limit));
    if (page.unreadOnly) q.set("unread", "true");
    const query = q.toString() ? `?${q}` : "";
    return this.rally.request("GET", `/v1/inbox${query}`, undefined, true);
  }
  /** Marks items read (or every item with "all"); resolves with how many were unread and the count left. */
  read(ids: readonly string[] | "all"): Promise<{ marked: number; unread: number }> {
    return this.rally.request("POST", "/v1/inbox/read", ids === "all" ? { all: true } : { ids }, true);
  }
}
