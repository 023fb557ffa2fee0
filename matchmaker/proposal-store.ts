/**
 * Match proposals (modes with `acceptS`, FlexMatch's acceptance) and queue cooldowns, where every node
 * reads them: the leader that formed a match may be on another node than its players' queue rooms, so
 * answers are written here (Redis in a cluster, memory in one process) and the leader's loop, or a
 * queue room once the deadline passed, settles the proposal from here. Settling is first-writer-wins
 * (`settle`), so the leader and a queue room standing in for a crashed leader never disagree.
 *
 * A proposal expires (`ttlMs`, past its deadline) whatever happens to the node that made it. Like the
 * ticket store, the Redis client is injected and never closed here.
 */
import type { Redis } from "ioredis";
import { cooldownKey, proposalKey } from "../protocol/index.ts";

export type ProposalAnswerKind = "accept" | "decline";
/** How a proposal ended: everyone accepted, someone declined, or the deadline passed with answers missing. */
export type ProposalOutcome = "accepted" | "declined" | "timeout";

export interface ProposalView {
  readonly matchId: string;
  readonly deadlineMs: number;
  readonly players: readonly string[];
  readonly answers: Readonly<Record<string, ProposalAnswerKind>>;
  readonly outcome?: ProposalOutcome;
}

/** Result of an answer: recorded, or refused (no such proposal or player, settled already, answered already). */
export type AnswerResult = "ok" | "unknown" | "closed" | "answered";

export interface ProposalStore {
  /** Record a new proposal; it expires `ttlMs` from now (keep it past the deadline). */
  open(p: { matchId: string; deadlineMs: number; players: readonly string[] }, ttlMs: number): Promise<void>;
  /** A player's answer; the first answer is final, and none is taken once the proposal is settled. */
  answer(matchId: string, playerId: string, answer: ProposalAnswerKind): Promise<AnswerResult>;
  get(matchId: string): Promise<ProposalView | undefined>;
  /** Settle as `outcome` unless already settled; returns the outcome that holds (undefined: no such proposal). */
  settle(matchId: string, outcome: ProposalOutcome): Promise<ProposalOutcome | undefined>;
  /** These players may not queue before `untilMs` (a later call extends, never shortens). */
  cooldown(playerIds: readonly string[], untilMs: number, now: number): Promise<void>;
  /** Until when the player may not queue (ms epoch), or null. */
  cooldownUntil(playerId: string, now: number): Promise<number | null>;
}

/** What the outcome a settler proposes is, from the answers at `now` (undefined: keep waiting). */
export function decideProposal(p: Pick<ProposalView, "players" | "answers" | "deadlineMs">, now: number): ProposalOutcome | undefined {
  let all = true;
  for (const id of p.players) {
    const a = p.answers[id];
    if (a === "decline") return "declined";
    if (a !== "accept") all = false;
  }
  if (all) return "accepted";
  return now >= p.deadlineMs ? "timeout" : undefined;
}

/**
 * The players of a dropped proposal who lose their ticket and get the cooldown: on a decline only the
 * decliners (the others had not had their full time yet), on a timeout everyone who had not accepted.
 */
export function atFault(p: Pick<ProposalView, "answers">, outcome: ProposalOutcome, playerIds: readonly string[]): string[] {
  if (outcome === "accepted") return [];
  return playerIds.filter((id) => (outcome === "declined" ? p.answers[id] === "decline" : p.answers[id] !== "accept"));
}

/** One process: maps with expiry by the injected clock. */
export class MemoryProposalStore implements ProposalStore {
  private readonly proposals = new Map<string, { deadlineMs: number; players: string[]; answers: Record<string, ProposalAnswerKind>; outcome?: ProposalOutcome; expiresAt: number }>();
  private readonly cooldowns = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(matchId: string) {
    const p = this.proposals.get(matchId);
    if (p && p.expiresAt <= this.now()) {
      this.proposals.delete(matchId);
      return undefined;
    }
    return p;
  }

  /** What the store holds now (its memory stays bounded by what is live). */
  held(): { proposals: number; cooldowns: number } {
    return { proposals: this.proposals.size, cooldowns: this.cooldowns.size };
  }

  /** Expired proposals and cooldowns nobody reads again would stay forever: dropped on every write. */
  private sweep(now: number): void {
    for (const [id, p] of this.proposals) if (p.expiresAt <= now) this.proposals.delete(id);
    for (const [id, until] of this.cooldowns) if (until <= now) this.cooldowns.delete(id);
  }

  async open(p: { matchId: string; deadlineMs: number; players: readonly string[] }, ttlMs: number): Promise<void> {
    this.sweep(this.now());
    this.proposals.set(p.matchId, { deadlineMs: p.deadlineMs, players: [...p.players], answers: {}, expiresAt: this.now() + ttlMs });
  }

  async answer(matchId: string, playerId: string, answer: ProposalAnswerKind): Promise<AnswerResult> {
    const p = this.live(matchId);
    if (!p || !p.players.includes(playerId)) return "unknown";
    if (p.outcome) return "closed";
    if (p.answers[playerId]) return "answered";
    p.answers[playerId] = answer;
    return "ok";
  }

  async get(matchId: string): Promise<ProposalView | undefined> {
    const p = this.live(matchId);
    return p && { matchId, deadlineMs: p.deadlineMs, players: [...p.players], answers: { ...p.answers }, ...(p.outcome ? { outcome: p.outcome } : {}) };
  }

  async settle(matchId: string, outcome: ProposalOutcome): Promise<ProposalOutcome | undefined> {
    const p = this.live(matchId);
    if (!p) return undefined;
    p.outcome ??= outcome;
    return p.outcome;
  }

  async cooldown(playerIds: readonly string[], untilMs: number, _now?: number): Promise<void> {
    this.sweep(this.now());
    for (const id of playerIds) this.cooldowns.set(id, Math.max(untilMs, this.cooldowns.get(id) ?? 0));
  }

  async cooldownUntil(playerId: string, now: number): Promise<number | null> {
    const until = this.cooldowns.get(playerId);
    if (until === undefined) return null;
    if (until <= now) {
      this.cooldowns.delete(playerId);
      return null;
    }
    return until;
  }
}

// Hash fields: `d` deadline, `m:{playerId}` membership, `a:{playerId}` answer, `o` outcome.
const ANSWER = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('HEXISTS', KEYS[1], 'm:' .. ARGV[1]) == 0 then return 'unknown' end
if redis.call('HEXISTS', KEYS[1], 'o') == 1 then return 'closed' end
if redis.call('HSETNX', KEYS[1], 'a:' .. ARGV[1], ARGV[2]) == 0 then return 'answered' end
return 'ok'`;
const SETTLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSETNX', KEYS[1], 'o', ARGV[1])
return redis.call('HGET', KEYS[1], 'o')`;
// a later cooldown extends an earlier one, never shortens it
const COOLDOWN = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

export class RedisProposalStore implements ProposalStore {
  constructor(private readonly redis: Redis) {}

  async open(p: { matchId: string; deadlineMs: number; players: readonly string[] }, ttlMs: number): Promise<void> {
    const key = proposalKey(p.matchId);
    const fields: string[] = ["d", String(p.deadlineMs)];
    for (const id of p.players) fields.push(`m:${id}`, "1");
    await this.redis.multi().hset(key, ...fields).pexpire(key, Math.max(1, Math.round(ttlMs))).exec();
  }

  async answer(matchId: string, playerId: string, answer: ProposalAnswerKind): Promise<AnswerResult> {
    return (await this.redis.eval(ANSWER, 1, proposalKey(matchId), playerId, answer)) as AnswerResult;
  }

  async get(matchId: string): Promise<ProposalView | undefined> {
    const h = await this.redis.hgetall(proposalKey(matchId));
    if (!h || !h.d) return undefined;
    const players: string[] = [];
    const answers: Record<string, ProposalAnswerKind> = {};
    for (const [f, v] of Object.entries(h)) {
      if (f.startsWith("m:")) players.push(f.slice(2));
      else if (f.startsWith("a:") && (v === "accept" || v === "decline")) answers[f.slice(2)] = v;
    }
    const outcome = h.o === "accepted" || h.o === "declined" || h.o === "timeout" ? h.o : undefined;
    return { matchId, deadlineMs: Number(h.d), players, answers, ...(outcome ? { outcome } : {}) };
  }

  async settle(matchId: string, outcome: ProposalOutcome): Promise<ProposalOutcome | undefined> {
    const r = await this.redis.eval(SETTLE, 1, proposalKey(matchId), outcome);
    return r === "accepted" || r === "declined" || r === "timeout" ? r : undefined;
  }

  async cooldown(playerIds: readonly string[], untilMs: number, now: number): Promise<void> {
    const ms = Math.max(1, Math.round(untilMs - now));
    await Promise.all(playerIds.map((id) => this.redis.eval(COOLDOWN, 1, cooldownKey(id), String(untilMs), String(ms))));
  }

  async cooldownUntil(playerId: string, now: number): Promise<number | null> {
    const v = Number(await this.redis.get(cooldownKey(playerId)));
    return v > now ? v : null;
  }
}
