/**
 * Leaderboards per kind (`rating`: latest displayed MMR; `score`: best match score), mode and season.
 * Board key: `<kind>.<mode>.<season>`. The store is the record (written first, inside the result's
 * transaction); with Redis, a sorted set per board is the fast path for top-N, rank and around-me.
 * A board's sorted set is built from the store on first use (and by `rebuild`), marked ready, and
 * kept up to date on every write; if a Redis write fails, the board is marked for rebuild and reads
 * use the store until then. Ties: equal scores rank by playerId descending, in both paths.
 */
import type { Redis } from "ioredis";
import { laggingReads, type LeaderboardEntry, type LeaderboardWrite, type Store } from "../store/index.ts";

export type BoardKind = "rating" | "score";
export const boardKey = (kind: BoardKind, mode: string, season: string) => `${kind}.${mode}.${season}`;

export interface BoardPage {
  readonly entries: readonly LeaderboardEntry[];
  readonly total: number;
  /** The asking player's own entry (around=me), null when they are not on the board. */
  readonly me?: LeaderboardEntry | null;
}

export class LeaderboardService {
  private readonly broken = new Set<string>();
  constructor(private readonly store: Store, private readonly redis?: Redis, private readonly onError?: (err: unknown) => void) {}

  private z(board: string) { return `rally:lb:${board}`; }
  private ready(board: string) { return `rally:lb:${board}:ready`; }

  /** After the store has the writes: mirror them into Redis. */
  async written(writes: readonly LeaderboardWrite[]): Promise<void> {
    if (!this.redis) return;
    for (const w of writes) {
      try {
        if (!(await this.redis.exists(this.ready(w.board)))) continue; // built from the store on first read
        if (w.keep === "best") await this.redis.zadd(this.z(w.board), "GT", w.score, w.playerId);
        else await this.redis.zadd(this.z(w.board), w.score, w.playerId);
      } catch (err) {
        this.broken.add(w.board);
        this.onError?.(err);
      }
    }
  }

  async submit(write: LeaderboardWrite): Promise<void> {
    await this.store.leaderboards.submit(write);
    await this.written([write]);
  }

  /** Rebuilds the board's sorted set from the store. Returns the number of entries. */
  async rebuild(board: string): Promise<number> {
    if (!this.redis) return this.store.leaderboards.count(board);
    const tmp = `${this.z(board)}:rebuild:${process.pid}:${Date.now()}`;
    let n = 0;
    for (let offset = 0; ; offset += 1000) {
      const page = await this.store.leaderboards.top(board, 1000, offset);
      if (page.length) await this.redis.zadd(tmp, ...page.flatMap((e) => [e.score, e.playerId]));
      n += page.length;
      if (page.length < 1000) break;
    }
    const multi = this.redis.multi();
    if (n) multi.rename(tmp, this.z(board));
    else multi.del(this.z(board));
    await multi.set(this.ready(board), "1").exec();
    this.broken.delete(board);
    return n;
  }

  private async fast(board: string): Promise<boolean> {
    if (!this.redis) return false;
    try {
      if (this.broken.has(board) || !(await this.redis.exists(this.ready(board)))) await this.rebuild(board);
      return true;
    } catch (err) {
      this.onError?.(err);
      return false;
    }
  }

  private async zpage(board: string, start: number, stop: number): Promise<LeaderboardEntry[]> {
    const flat = await this.redis!.zrevrange(this.z(board), start, stop, "WITHSCORES");
    const out: LeaderboardEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ playerId: flat[i], score: Number(flat[i + 1]), rank: start + i / 2 + 1 });
    return out;
  }

  async top(board: string, limit: number, offset = 0): Promise<BoardPage> {
    if (await this.fast(board)) {
      try {
        const [entries, total] = await Promise.all([this.zpage(board, offset, offset + limit - 1), this.redis!.zcard(this.z(board))]);
        return { entries, total };
      } catch (err) {
        this.onError?.(err);
      }
    }
    // Pages of a board tolerate a moment of lag: the read replica when the store has one.
    const lagging = laggingReads(this.store);
    const [entries, total] = await Promise.all([lagging.leaderboards.top(board, limit, offset), lagging.leaderboards.count(board)]);
    return { entries, total };
  }

  /** `limit` entries centred on the player (fewer at the edges), plus the player's own entry. */
  async around(board: string, playerId: string, limit: number): Promise<BoardPage> {
    let me: LeaderboardEntry | null = null;
    let viaRedis = false;
    if (await this.fast(board)) {
      try {
        const rank = await this.redis!.zrevrank(this.z(board), playerId);
        const score = rank === null ? null : await this.redis!.zscore(this.z(board), playerId);
        me = rank === null ? null : { playerId, score: Number(score), rank: rank + 1 };
        viaRedis = true;
      } catch (err) {
        this.onError?.(err);
      }
    }
    if (!viaRedis) me = await this.store.leaderboards.entry(board, playerId);
    if (!me) return { ...(await this.top(board, limit)), me: null };
    const offset = Math.max(0, me.rank - 1 - Math.floor(limit / 2));
    return { ...(await this.top(board, limit, offset)), me };
  }
}
