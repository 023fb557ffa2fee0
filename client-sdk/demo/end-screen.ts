/**
 * What the demo's end screen says, as pure functions (no DOM): won or lost from the match result, then
 * the rating change (the player's history entry for the match) and the coins (inventory before the
 * match and after the result was stored). Ranked results are written in one transaction with the
 * history entry and the reward grant, so once the entry is there the coins are too.
 */
import type { MatchHistoryEntry, MatchResult } from "../index.ts";

export type EndOutcome = "won" | "lost" | "draw" | "cancelled";

export interface EndScreen {
  readonly outcome: EndOutcome;
  readonly headline: string;
  /** Teams and why it ended, e.g. "Blue 15 : 9 Orange · score limit". */
  readonly detail: string;
}

export interface Rewards {
  readonly ranked: boolean;
  readonly mmrBefore: number | null;
  readonly mmrAfter: number | null;
  /** Coins this match earned; null when the inventory could not be read. */
  readonly coins: number | null;
  readonly coinsNow: number | null;
}

const TEAM_NAMES = ["Blue", "Orange"];
const teamName = (t: number) => TEAM_NAMES[t] ?? `Team ${t + 1}`;

export function outcomeFor(result: MatchResult, playerId: string | null): EndOutcome {
  if (result.outcome !== "completed") return "cancelled";
  const me = result.players.find((p) => p.playerId === playerId);
  if (result.winnerTeam === null) return "draw";
  if (!me) return "cancelled";
  return me.team === result.winnerTeam ? "won" : "lost";
}

export function endScreen(result: MatchResult, playerId: string | null): EndScreen {
  const outcome = outcomeFor(result, playerId);
  const headline = { won: "Victory: you won", lost: "Defeat: you lost", draw: "Draw", cancelled: "Match cancelled" }[outcome];
  const scores = result.teams.map((t) => `${teamName(t.team)} ${t.score}`).join(" : ");
  return { outcome, headline, detail: `${scores} · ${result.reason.replace(/-/g, " ")}` };
}

const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : "±0");

/** One line about rating and coins, e.g. "Rating 1500 → 1523 (+23) · +100 coins (now 225)". */
export function rewardsLine(r: Rewards): string {
  if (!r.ranked) return "Open game: unranked, no rating change or coins. Queue with a party for ranked play.";
  const parts: string[] = [];
  parts.push(r.mmrBefore !== null && r.mmrAfter !== null ? `Rating ${r.mmrBefore} → ${r.mmrAfter} (${signed(r.mmrAfter - r.mmrBefore)})` : "Rating unchanged");
  if (r.coins !== null) parts.push(`${signed(r.coins)} coins${r.coinsNow !== null ? ` (now ${r.coinsNow})` : ""}`);
  return parts.join(" · ");
}

/** The history entry of `matchId`, or null while the result is not stored yet. */
export function entryFor(history: readonly MatchHistoryEntry[], matchId: string): MatchHistoryEntry | null {
  return history.find((h) => h.matchId === matchId) ?? null;
}
