/**
 * `Store.chat` and `Store.inbox` over SQL, shared by the SQLite and PostgreSQL stores: both pass a
 * runner that takes `?` placeholders (PostgreSQL's runner numbers them). Every statement is a single
 * statement, so each call is atomic without a transaction: appends and adds are
 * `INSERT ... ON CONFLICT DO NOTHING` (idempotent by id), marks are one UPDATE, prunes delete a
 * bounded batch by age (safe to run from every node at once).
 */
import type { ChatMessage, InboxItem, InboxKind, Store } from "./store.ts";
import type { Row } from "./sql-rows.ts";

/** Runs one statement; returns its rows (RETURNING rows for writes). */
export type SqlRunner = (sql: string, params: unknown[]) => Promise<Row[]>;

const toMessage = (r: Row): ChatMessage => ({
  id: r.id as string, channel: r.channel as string, from: r.from_id as string, fromName: r.from_name as string,
  text: r.text as string, at: Number(r.at),
});

const toItem = (r: Row): InboxItem => ({
  id: r.id as string, playerId: r.player_id as string, kind: r.kind as InboxKind,
  data: JSON.parse(r.data as string) as Record<string, unknown>, at: Number(r.at),
  readAt: r.read_at === null || r.read_at === undefined ? null : Number(r.read_at),
});

export function sqlChatRepos(run: SqlRunner): Pick<Store, "chat" | "inbox"> {
  return {
    chat: {
      async append(m) {
        await run("INSERT INTO chat_messages (channel, id, from_id, from_name, text, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          [m.channel, m.id, m.from, m.fromName, m.text, m.at]);
      },
      async history(channel, { limit, before }) {
        const rows = before === undefined
          ? await run("SELECT * FROM chat_messages WHERE channel = ? ORDER BY id DESC LIMIT ?", [channel, limit])
          : await run("SELECT * FROM chat_messages WHERE channel = ? AND id < ? ORDER BY id DESC LIMIT ?", [channel, before, limit]);
        return rows.map(toMessage);
      },
      async prune(olderThan, limit) {
        const gone = await run(`DELETE FROM chat_messages WHERE (channel, id) IN
          (SELECT channel, id FROM chat_messages WHERE at < ? LIMIT ?) RETURNING 1`, [olderThan, limit]);
        return gone.length;
      },
    },
    inbox: {
      async add(item) {
        const added = await run(`INSERT INTO inbox (player_id, id, kind, data, at, read_at) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT DO NOTHING RETURNING 1`, [item.playerId, item.id, item.kind, JSON.stringify(item.data), item.at, item.readAt]);
        return added.length > 0;
      },
      async list(playerId, { limit, before, unreadOnly }) {
        const where = ["player_id = ?"];
        const params: unknown[] = [playerId];
        if (before !== undefined) { where.push("id < ?"); params.push(before); }
        if (unreadOnly) where.push("read_at IS NULL");
        const rows = await run(`SELECT * FROM inbox WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`, [...params, limit]);
        return rows.map(toItem);
      },
      async unread(playerId) {
        return Number((await run("SELECT count(*) AS n FROM inbox WHERE player_id = ? AND read_at IS NULL", [playerId]))[0].n);
      },
      async markRead(playerId, ids, at) {
        if (ids === "all") return (await run("UPDATE inbox SET read_at = ? WHERE player_id = ? AND read_at IS NULL RETURNING 1", [at, playerId])).length;
        if (ids.length === 0) return 0;
        const marks = ids.map(() => "?").join(", ");
        return (await run(`UPDATE inbox SET read_at = ? WHERE player_id = ? AND read_at IS NULL AND id IN (${marks}) RETURNING 1`, [at, playerId, ...ids])).length;
      },
      async prune(olderThan, limit) {
        const gone = await run(`DELETE FROM inbox WHERE (player_id, id) IN
          (SELECT player_id, id FROM inbox WHERE at < ? LIMIT ?) RETURNING 1`, [olderThan, limit]);
        return gone.length;
      },
    },
  };
}

/** The SQLite schema of both tables (PostgreSQL's is migrations/postgres/003_chat_inbox.sql). */
export const SQLITE_CHAT_SCHEMA = `
CREATE TABLE IF NOT EXISTS chat_messages (
  channel TEXT NOT NULL, id TEXT NOT NULL, from_id TEXT NOT NULL, from_name TEXT NOT NULL, text TEXT NOT NULL,
  at INTEGER NOT NULL, PRIMARY KEY (channel, id)
);
CREATE INDEX IF NOT EXISTS chat_messages_at ON chat_messages (at);
CREATE TABLE IF NOT EXISTS inbox (
  player_id TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL, read_at INTEGER,
  PRIMARY KEY (player_id, id)
);
CREATE INDEX IF NOT EXISTS inbox_unread ON inbox (player_id) WHERE read_at IS NULL;
CREATE INDEX IF NOT EXISTS inbox_at ON inbox (at);
`;

/** `?` placeholders to PostgreSQL's `$1, $2, ...` (our statements carry no literal `?`). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
