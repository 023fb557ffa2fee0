/**
 * Chat and inbox (issue 16): direct, party and match chat over the `social` room with stored,
 * paged history and retention; per-player notifications with unread counts. Built once per node
 * by server/node and handed to the social room (sending), the HTTP routes (history, inbox) and the
 * result sink (match result notifications).
 */
import type { Redis } from "ioredis";
import { Counter, type Registry } from "prom-client";
import type { Client, RegisteredHandler, Room } from "@colyseus/core";
import type { MatchResult, MatchResultSink } from "../../rooms/index.ts";
import type { Store } from "../store/index.ts";
import { teamOutcome } from "../players/outcome.ts";
import type { SocialServices } from "../social/index.ts";
import { ChatService, type ChatFilter } from "./chat.ts";
import { InboxService } from "./inbox.ts";
import { RetentionPruner } from "./prune.ts";

export { ChatService, allowAllChat, directChannel, type ChatFilter, type ChatFilterContext, type ChatSend, type ChatChannelKind, type ChatParties } from "./chat.ts";
export { InboxService, type InboxPage } from "./inbox.ts";
export { RetentionPruner, type PruneOptions } from "./prune.ts";
export { chatId, SORTABLE_ID } from "./ids.ts";

export interface ChatSettings {
  readonly CHAT_MAX_LENGTH: number;
  readonly CHAT_RATE_PER_MIN: number;
  readonly CHAT_RETENTION_DAYS: number;
  readonly INBOX_RETENTION_DAYS: number;
  readonly CHAT_PRUNE_INTERVAL_MS: number;
}

export interface ChatServices {
  readonly chat: ChatService;
  readonly inbox: InboxService;
  readonly pruner: RetentionPruner;
  start(): void;
  close(): Promise<void>;
}

const DAY_MS = 24 * 3600_000;

export function createChatServices(o: {
  store: Store; social: SocialServices; settings: ChatSettings; redis?: Redis; filter?: ChatFilter; metricsRegistry?: Registry;
  onError?(err: unknown, what: string): void;
}): ChatServices {
  const sends = o.metricsRegistry && new Counter({
    name: "rally_chat_messages_total", help: "Chat send attempts by channel kind and outcome (sent, or the refusal's error code)",
    labelNames: ["channel", "outcome"] as const, registers: [o.metricsRegistry],
  });
  const chat = new ChatService({
    store: o.store, bus: o.social.bus, parties: o.social.parties, kv: o.social.kv,
    maxLength: o.settings.CHAT_MAX_LENGTH, ratePerMin: o.settings.CHAT_RATE_PER_MIN, redis: o.redis, filter: o.filter,
    onOutcome: (channel, outcome) => sends?.inc({ channel, outcome }),
  });
  const inbox = new InboxService(o.store, o.social.bus);
  const pruner = new RetentionPruner({
    store: o.store, chatRetentionMs: o.settings.CHAT_RETENTION_DAYS * DAY_MS, inboxRetentionMs: o.settings.INBOX_RETENTION_DAYS * DAY_MS,
    intervalMs: o.settings.CHAT_PRUNE_INTERVAL_MS, onError: (err) => o.onError?.(err, "retention prune"),
  });
  return { chat, inbox, pruner, start: () => pruner.start(), close: () => pruner.stop() };
}

/** Each player's outcome of a result, as its inbox shows it. */
export function resultNotice(result: MatchResult, playerId: string): Record<string, unknown> {
  const p = result.players.find((x) => x.playerId === playerId);
  const decided = result.outcome === "completed";
  const outcome = p ? teamOutcome(decided, result.winnerTeam, p.team) : "none";
  return { matchId: result.matchId, mode: result.mode ?? result.roomName, outcome, team: p?.team ?? null, score: p?.score ?? null, endedAt: result.endedAt };
}

/**
 * A result sink that also leaves a `match_result` notification with every player once the result is
 * stored (keyed by match: a retried report notifies once). Notifying is best effort: a failure is
 * reported, never undoes or blocks the result.
 */
export function notifyResults(sink: MatchResultSink, inboxOf: () => InboxService | undefined, onError: (err: unknown, matchId: string) => void): MatchResultSink {
  return {
    async report(result) {
      await sink.report(result);
      const inbox = inboxOf();
      if (inbox) await noticeResult(inbox, result, onError);
    },
  };
}

/** Leaves each player of a stored result its `match_result` notice (the node calls it on `resultStored`). */
export async function noticeResult(inbox: InboxService, result: MatchResult, onError: (err: unknown, matchId: string) => void): Promise<void> {
  await Promise.all(result.players.map((p) =>
    inbox.notify(p.playerId, "match_result", resultNotice(result, p.playerId), { key: `result:${result.matchId}`, at: result.endedAt })
      .catch((err: unknown) => onError(err, result.matchId))));
}

/** Records who joins a match room (its `matchId` metadata), so the match channel knows its players. */
export function trackMatchChat(handler: RegisteredHandler, chat: ChatService, onError: (err: unknown) => void): RegisteredHandler {
  return handler.on("join", (room: Room, client: Client) => {
    const matchId = (room.metadata as { matchId?: unknown } | undefined)?.matchId;
    const playerId = (client.auth as { playerId?: unknown } | undefined)?.playerId;
    if (typeof matchId === "string" && typeof playerId === "string") chat.joinedMatch(matchId, playerId).catch(onError);
  });
}
