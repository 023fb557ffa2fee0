/**
 * Where arena players appear and how bots keep apart: pure functions of positions, no state, no clock.
 * Each team has a grid of spawn slots on its own side; a (re)spawning player takes the slot farthest
 * from everyone alive, so a team of bots starts spread over its side instead of on one spot, and a
 * respawn never lands on top of someone.
 */
import { ARENA } from "./constants.ts";

export interface Point {
  readonly x: number;
  readonly y: number;
}

const MARGIN = 60;
/** Two columns per side, 70 units apart; rows spread over the height. */
const COLUMN_GAP = 70;
const ROWS = 6;

/** Spawn slots of `team` among `teams`: team 0 on the left edge, the last team on the right, others between. */
export function spawnSlots(team: number, teams: number): Point[] {
  const n = Math.max(1, teams);
  const edge = n === 1 ? ARENA.width / 2 : MARGIN + (team * (ARENA.width - 2 * MARGIN)) / (n - 1);
  // The second column goes toward the middle, so it stays on the team's own side.
  const inward = edge <= ARENA.width / 2 ? 1 : -1;
  const slots: Point[] = [];
  for (let c = 0; c < 2; c++) {
    for (let r = 0; r < ROWS; r++) {
      // Columns are offset by half a row, so the two columns never line up.
      const y = MARGIN + ((r + c / 2) * (ARENA.height - 2 * MARGIN)) / (ROWS - 0.5);
      slots.push({ x: edge + inward * c * COLUMN_GAP, y });
    }
  }
  return slots;
}

/** The slot of `team` farthest from every point in `occupied` (ties: the first slot). */
export function pickSpawn(team: number, teams: number, occupied: readonly Point[]): Point {
  const slots = spawnSlots(team, teams);
  let best = slots[0]!;
  let bestD = -1;
  for (const s of slots) {
    let d = Infinity;
    for (const o of occupied) d = Math.min(d, Math.hypot(o.x - s.x, o.y - s.y));
    if (d > bestD + 1e-9) { best = s; bestD = d; }
  }
  return best;
}

/**
 * A push away from teammates closer than `range`: summed unit vectors weighted by closeness, so bots
 * chasing the same target fan out instead of merging into one blob. (0, 0) when nobody is near.
 */
export function separation(self: Point, mates: readonly Point[], range = ARENA.playerRadius * 4): Point {
  let x = 0, y = 0;
  for (const m of mates) {
    const dx = self.x - m.x, dy = self.y - m.y;
    const d = Math.hypot(dx, dy);
    if (d >= range) continue;
    // Exactly on top of each other: pick a fixed direction so two bots still split.
    const [ux, uy] = d < 1e-6 ? [0, 1] : [dx / d, dy / d];
    const w = 1 - d / range;
    x += ux * w; y += uy * w;
  }
  return { x, y };
}
