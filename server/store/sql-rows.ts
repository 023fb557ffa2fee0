/**
 * Rows of the SQL stores (SQLite and PostgreSQL share column names) into the records of the Store
 * seam. Numbers come back as strings from some drivers (PostgreSQL's BIGINT), so every number is read
 * through Number().
 */
import type { HistoryEntry, PlayerRecord, RatingRecord } from "./store.ts";

export type Row = Record<string, unknown>;

/** `idColumn`: the players table's key column (`id` in SQLite, `player_id` in the partitioned PostgreSQL table). */
export function toPlayer(row: Row, idColumn: "id" | "player_id"): PlayerRecord {
  return {
    id: row[idColumn] as string,
    name: row.name as string,
    createdAt: Number(row.created_at),
    ...(row.device_id != null ? { deviceId: row.device_id as string } : {}),
    ...(row.username != null ? { username: row.username as string } : {}),
    ...(row.banned_at != null ? { banned: { reason: row.ban_reason as string, at: Number(row.banned_at) } } : {}),
  };
}

export function toRating(row: Row): RatingRecord {
  return {
    playerId: row.player_id as string, mode: row.mode as string,
    mu: Number(row.mu), sigma: Number(row.sigma), mmr: Number(row.mmr),
    wins: Number(row.wins), losses: Number(row.losses), draws: Number(row.draws), matches: Number(row.matches),
    updatedAt: Number(row.updated_at),
  };
}

export function toHistory(row: Row): HistoryEntry {
  return {
    playerId: row.player_id as string, matchId: row.match_id as string, mode: row.mode as string,
    endedAt: Number(row.ended_at), team: Number(row.team), score: Number(row.score),
    outcome: row.outcome as HistoryEntry["outcome"],
    mmrBefore: row.mmr_before == null ? null : Number(row.mmr_before),
    mmrAfter: row.mmr_after == null ? null : Number(row.mmr_after),
  };
}
