/**
 * Who won, and what that means for each team: pure, dependency-free, so the match room that builds a
 * result, the result planner that rates it and the inbox notice that reports it agree by construction.
 */

/** The team with the single highest score; null when two or more teams share it (a draw). */
export function winnerTeam(teamScores: readonly number[]): number | null {
  if (!teamScores.length) return null;
  const best = Math.max(...teamScores);
  return teamScores.filter((s) => s === best).length === 1 ? teamScores.indexOf(best) : null;
}

export type TeamOutcome = "win" | "loss" | "draw" | "none";

/** A team's outcome of a decided match (`decided` false: "none"); `winner` null is a draw. */
export function teamOutcome(decided: boolean, winner: number | null, team: number): TeamOutcome {
  return !decided ? "none" : winner === null ? "draw" : team === winner ? "win" : "loss";
}
