/**
 * Chat: direct (two players), party (the sender's current party) and match (the players of a match)
 * channels. A message is checked (length, per-player rate, membership, blocks, the studio's filter),
 * stored through `Store.chat`, then pushed over the social bus to every recipient's `social` room on
 * whatever node holds it. Blocks: a direct message between two players where either blocked the other
 * is refused; in party and match channels a player never receives, nor reads in history, messages of a
 * player it blocked or that blocked it.
 *
 * Channel ids: `direct:<a>:<b>` (the two ids sorted), `party:<partyId>`, `match:<matchId>`. Readers may
 * also name a direct channel `direct:<otherPlayerId>`.
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Redis } from "ioredis";
import { RallyError } from "../errors.ts";
import type { ChatMessage, Store } from "../store/index.ts";
import { SocialEvent, type Identity, type PartyView, type SocialBus, type SocialKv } from "../social/index.ts";
import { chatId } from "./ids.ts";

export type ChatChannelKind = "direct" | "party" | "match";

/** What a client sends (validated at the edge: the social room's `chat` message). */
export interface ChatSend {
  readonly channel: ChatChannelKind;
  /** direct: the other player. */
  readonly to?: string;
  /** match: the match id. */
  readonly matchId?: string;
  readonly text: string;
}

export interface ChatFilterContext {
  readonly playerId: string;
  readonly channel: string;
  readonly kind: ChatChannelKind;
}

/**
 * The studio's profanity hook: the text to store and deliver (unchanged, or rewritten), or
 * `{ reject: code }` to refuse it (the sender gets CHAT_REJECTED with `code` as the reason).
 */
export type ChatFilter = (text: string, ctx: ChatFilterContext) => string | { reject: string } | Promise<string | { reject: string }>;

/** The default: every text passes unchanged. */
export const allowAllChat: ChatFilter = (text) => text;

/** The party lookup chat needs (PartyService). */
export interface ChatParties {
  of(playerId: string): Promise<PartyView | null>;
  get(partyId: string): Promise<PartyView | null>;
}

export interface ChatOptions {
  store: Store;
  bus: SocialBus;
  parties: ChatParties;
  /** Match membership while a match runs (Redis in a cluster). */
  kv: SocialKv;
  maxLength: number;
  ratePerMin: number;
  /** Cluster-wide rate limits; memory per node without it. */
  redis?: Redis;
  filter?: ChatFilter;
  now?: () => number;
  /** Called once per send attempt: the channel kind and "sent" or the refusal's code (metrics). */
  onOutcome?(kind: ChatChannelKind, outcome: string): void;
}

const REASON = /^[A-Za-z0-9_.:-]{1,64}$/;
/** How long a match's member list is kept for its chat after the last join (the stored result takes over). */
const MATCH_MEMBERS_TTL_MS = 12 * 3600_000;
const matchKey = (matchId: string) => `chat:match:${matchId}`;

export const directChannel = (a: string, b: string) => (a < b ? `direct:${a}:${b}` : `direct:${b}:${a}`);

export class ChatService {
  private readonly now: () => number;
  private readonly limiter: RateLimiterAbstract;
  private readonly filter: ChatFilter;

  constructor(private readonly o: ChatOptions) {
    this.now = o.now ?? Date.now;
    this.filter = o.filter ?? allowAllChat;
    const memory = new RateLimiterMemory({ keyPrefix: "chat", points: o.ratePerMin, duration: 60 });
    this.limiter = o.redis
      ? new RateLimiterRedis({ storeClient: o.redis, keyPrefix: "rally:rl:chat", points: o.ratePerMin, duration: 60, insuranceLimiter: memory, rejectIfRedisNotReady: true })
      : memory;
  }

  /** Checks, stores and delivers one message; throws a RallyError when refused (CHAT_REJECTED carries the filter's `reason` in its details). */
  async send(sender: Identity, req: ChatSend): Promise<ChatMessage> {
    try {
      const message = await this.deliver(sender, req);
      this.o.onOutcome?.(req.channel, "sent");
      return message;
    } catch (e) {
      this.o.onOutcome?.(req.channel, e instanceof RallyError ? e.code : "INTERNAL");
      throw e;
    }
  }

  private async deliver(sender: Identity, req: ChatSend): Promise<ChatMessage> {
    let text = req.text.trim();
    if (text.length === 0) throw new RallyError("BAD_REQUEST", "text: empty message");
    if ([...text].length > this.o.maxLength) throw new RallyError("CHAT_TOO_LONG", `at most ${this.o.maxLength} characters`);
    await this.limiter.consume(sender.playerId).catch((res: unknown) => {
      if (res instanceof RateLimiterRes) throw new RallyError("CHAT_RATE_LIMITED", `at most ${this.o.ratePerMin} messages per minute; retry in ${Math.ceil(res.msBeforeNext / 1000)} s`);
      throw res;
    });
    const { channel, recipients } = await this.route(sender.playerId, req);
    const filtered = await this.filter(text, { playerId: sender.playerId, channel, kind: req.channel });
    if (typeof filtered !== "string") {
      const reason = REASON.test(String(filtered.reject)) ? String(filtered.reject) : "rejected";
      throw new RallyError("CHAT_REJECTED", `the chat filter refused this message (${reason})`, { reason });
    }
    text = filtered.trim();
    if (text.length === 0) throw new RallyError("CHAT_REJECTED", "the chat filter left nothing to send", { reason: "empty" });
    const at = this.now();
    const message: ChatMessage = { id: chatId(at), channel, from: sender.playerId, fromName: sender.name, text, at };
    await this.o.store.chat.append(message);
    this.o.bus.toPlayers(recipients, SocialEvent.CHAT, message);
    return message;
  }

  /** A page of a channel's history (newest first) for a player allowed to read it. */
  async history(playerId: string, channelName: string, page: { limit: number; before?: string }): Promise<{ messages: ChatMessage[]; nextCursor: string | null }> {
    const channel = await this.readable(playerId, channelName);
    // Messages of players blocked either way are left out of shared channels; pages stay `limit` long
    // unless the history is exhausted, so a few extra reads fill the gaps.
    const blocked = channel.startsWith("direct:") ? async () => false : this.blockCheck(playerId);
    const messages: ChatMessage[] = [];
    let before = page.before;
    for (let round = 0; round < 5 && messages.length < page.limit; round++) {
      const batch = await this.o.store.chat.history(channel, { limit: page.limit, before });
      const hidden = await Promise.all(batch.map((m) => blocked(m.from)));
      messages.push(...batch.filter((_, i) => !hidden[i]).slice(0, page.limit - messages.length));
      if (batch.length < page.limit) return { messages, nextCursor: null };
      before = batch.at(-1)!.id;
    }
    return { messages, nextCursor: messages.length ? messages.at(-1)!.id : before ?? null };
  }

  /** A player joined a match room (wired from the match rooms' join events in server/node). */
  async joinedMatch(matchId: string, playerId: string): Promise<void> {
    const key = matchKey(matchId);
    for (let attempt = 0; attempt < 10; attempt++) {
      const raw = await this.o.kv.get(key);
      const members = raw ? (JSON.parse(raw) as string[]) : [];
      if (members.includes(playerId)) return;
      if (await this.o.kv.cas(key, raw, JSON.stringify([...members, playerId]), MATCH_MEMBERS_TTL_MS)) return;
    }
    throw new Error(`could not record ${playerId} in match ${matchId} (contention)`);
  }

  /** Players of a match: who joined its room (while it runs) and who is in its stored result. */
  async matchMembers(matchId: string): Promise<Set<string>> {
    const raw = await this.o.kv.get(matchKey(matchId));
    const members = new Set<string>(raw ? (JSON.parse(raw) as string[]) : []);
    const result = await this.o.store.matches.get(matchId);
    for (const p of result?.players ?? []) members.add(p.playerId);
    return members;
  }

  private async route(me: string, req: ChatSend): Promise<{ channel: string; recipients: string[] }> {
    if (req.channel === "direct") {
      const to = req.to;
      if (!to) throw new RallyError("BAD_REQUEST", "to: the player to message");
      if (to === me) throw new RallyError("FRIEND_SELF", "you cannot message yourself");
      if (!(await this.o.store.players.get(to))) throw new RallyError("NOT_FOUND", "no such player");
      if (await this.o.store.friends.blocked(me, to)) throw new RallyError("FRIEND_BLOCKED");
      return { channel: directChannel(me, to), recipients: [me, to] };
    }
    if (req.channel === "party") {
      const party = await this.o.parties.of(me);
      if (!party) throw new RallyError("NOT_IN_PARTY");
      return { channel: `party:${party.partyId}`, recipients: await this.unblocked(me, party.members.map((m) => m.playerId)) };
    }
    const matchId = req.matchId;
    if (!matchId) throw new RallyError("BAD_REQUEST", "matchId: the match to message");
    const members = await this.matchMembers(matchId);
    if (!members.has(me)) throw new RallyError("CHAT_NOT_MEMBER", "you are not a player of this match");
    return { channel: `match:${matchId}`, recipients: await this.unblocked(me, [...members]) };
  }

  /** The canonical channel a player may read, or CHAT_NOT_MEMBER. */
  private async readable(me: string, name: string): Promise<string> {
    const [kind, a, b, ...rest] = name.split(":");
    if (rest.length === 0 && kind === "direct" && a && b === undefined) {
      if (a === me) throw new RallyError("FRIEND_SELF", "you cannot message yourself");
      return directChannel(me, a);
    }
    if (rest.length === 0 && kind === "direct" && a && b) {
      if (a !== me && b !== me) throw new RallyError("CHAT_NOT_MEMBER");
      return directChannel(a, b);
    }
    if (rest.length === 0 && kind === "party" && a && b === undefined) {
      const party = await this.o.parties.get(a);
      if (!party?.members.some((m) => m.playerId === me)) throw new RallyError("CHAT_NOT_MEMBER", "you are not in this party");
      return `party:${a}`;
    }
    if (kind === "match" && a && b === undefined) {
      if (!(await this.matchMembers(a)).has(me)) throw new RallyError("CHAT_NOT_MEMBER", "you are not a player of this match");
      return `match:${a}`;
    }
    throw new RallyError("BAD_REQUEST", "channel: direct:<playerId>, party:<partyId> or match:<matchId>");
  }

  /** The recipients with no block either way with the sender (the sender always). */
  private async unblocked(me: string, ids: readonly string[]): Promise<string[]> {
    const seesMe = await Promise.all(ids.map(async (id) => id === me || !(await this.o.store.friends.blocked(me, id))));
    return ids.filter((_, i) => seesMe[i]);
  }

  /** Whether `me` and an author have a block either way, memoized for one history read. */
  private blockCheck(me: string): (author: string) => Promise<boolean> {
    const known = new Map<string, Promise<boolean>>();
    return (author) => {
      if (author === me) return Promise.resolve(false);
      let p = known.get(author);
      if (!p) known.set(author, (p = this.o.store.friends.blocked(me, author)));
      return p;
    };
  }
}
