/**
 * `Store.chat` and `Store.inbox` on MongoDB (mongoose): one document per message / item with a
 * composite `_id`, so appends and adds are idempotent inserts (a duplicate key means "already there")
 * and every call is a single-document or single-command write. Contract-tested only (no MongoDB where
 * Rally is built): test/server/chat/chat-store.test.ts runs it whenever MONGO_URL is set.
 */
import { Schema, type Connection } from "mongoose";
import type { ChatMessage, InboxItem, InboxKind, Store } from "./store.ts";

interface ChatDoc { _id: string; channel: string; mid: string; from: string; fromName: string; text: string; at: number }
interface InboxDoc { _id: string; playerId: string; iid: string; kind: InboxKind; data: string; at: number; readAt: number | null }

const isDuplicate = (e: unknown) => (e as { code?: number }).code === 11000;

export function mongoChatRepos(conn: Connection): Pick<Store, "chat" | "inbox"> {
  const chat = conn.model<ChatDoc>("ChatMessage", new Schema<ChatDoc>({
    _id: String, channel: String, mid: String, from: String, fromName: String, text: String, at: Number,
  }, { versionKey: false, collection: "chat_messages" }).index({ channel: 1, mid: -1 }).index({ at: 1 }));
  const inbox = conn.model<InboxDoc>("InboxItem", new Schema<InboxDoc>({
    _id: String, playerId: String, iid: String, kind: String, data: String, at: Number, readAt: { type: Number, default: null },
  }, { versionKey: false, collection: "inbox" }).index({ playerId: 1, iid: -1 }).index({ playerId: 1, readAt: 1 }).index({ at: 1 }));

  const toMessage = (d: ChatDoc): ChatMessage => ({ id: d.mid, channel: d.channel, from: d.from, fromName: d.fromName, text: d.text, at: d.at });
  const toItem = (d: InboxDoc): InboxItem => ({
    id: d.iid, playerId: d.playerId, kind: d.kind, data: JSON.parse(d.data) as Record<string, unknown>, at: d.at, readAt: d.readAt ?? null,
  });
  /** Deletes up to `limit` documents older than `olderThan`, oldest first. */
  const pruneOf = async (model: typeof chat | typeof inbox, olderThan: number, limit: number) => {
    const ids = (await (model as typeof chat).find({ at: { $lt: olderThan } }, { _id: 1 }).sort({ at: 1 }).limit(limit).lean()).map((d) => d._id);
    if (ids.length === 0) return 0;
    return (await (model as typeof chat).deleteMany({ _id: { $in: ids } })).deletedCount;
  };

  return {
    chat: {
      async append(m) {
        try {
          await chat.create({ _id: `${m.channel}\u0000${m.id}`, channel: m.channel, mid: m.id, from: m.from, fromName: m.fromName, text: m.text, at: m.at });
        } catch (e) {
          if (!isDuplicate(e)) throw e;
        }
      },
      async history(channel, { limit, before }) {
        const filter = before === undefined ? { channel } : { channel, mid: { $lt: before } };
        return (await chat.find(filter).sort({ mid: -1 }).limit(limit).lean()).map(toMessage);
      },
      prune: (olderThan, limit) => pruneOf(chat, olderThan, limit),
    },
    inbox: {
      async add(item) {
        try {
          await inbox.create({ _id: `${item.playerId}\u0000${item.id}`, playerId: item.playerId, iid: item.id, kind: item.kind, data: JSON.stringify(item.data), at: item.at, readAt: item.readAt });
          return true;
        } catch (e) {
          if (isDuplicate(e)) return false;
          throw e;
        }
      },
      async list(playerId, { limit, before, unreadOnly }) {
        const filter: Record<string, unknown> = { playerId };
        if (before !== undefined) filter.iid = { $lt: before };
        if (unreadOnly) filter.readAt = null;
        return (await inbox.find(filter).sort({ iid: -1 }).limit(limit).lean()).map(toItem);
      },
      async unread(playerId) {
        return inbox.countDocuments({ playerId, readAt: null });
      },
      async markRead(playerId, ids, at) {
        const filter: Record<string, unknown> = { playerId, readAt: null };
        if (ids !== "all") {
          if (ids.length === 0) return 0;
          filter.iid = { $in: [...ids] };
        }
        return (await inbox.updateMany(filter, { $set: { readAt: at } })).modifiedCount;
      },
      prune: (olderThan, limit) => pruneOf(inbox, olderThan, limit),
    },
  };
}
