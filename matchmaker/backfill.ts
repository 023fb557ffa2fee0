/**
 * Backfill: which waiting tickets take the open seats of running matches (pure; the leader's pass
 * calls it before forming new matches, the simulator replays it).
 *
 * A request is one match's open seats (`BackfillOpening` from its room, plus the server's ratings of
 * the players in it now). The same rules as a new match apply, against the match's current players:
 * - the ticket's rating is within its skill window (`skillWindow`, widened by the longer of the
 *   ticket's wait and the seat's) of the mean rating of the match's players;
 * - the match's region is one the ticket may play in now (`regionsAt`: home, or latency-bounded
 *   expansion inside its shard);
 * - the ticket fits the match's attributes (`fitsMatch`: `equal` values, `overlap` sets);
 * - a party goes whole onto one team with enough open seats, never split;
 * - team balance is recomputed with the joiner on the team it would join: the nearest candidates to
 *   the rating that would even the teams are compared, and the one leaving the smallest gap between
 *   team means is taken if that gap is within `teamGap` at the seat's wait (a fresh seat waits a pass
 *   or two for a fair joiner, as a fresh lobby does). With more seats open on the team, the others
 *   count at that rating (the team as it will be once full), so two picks that even the teams together
 *   are not refused one at a time. A team's bots are not in the request: it is judged on its humans.
 * Requests are served oldest open seat first; a ticket goes to at most one request. Requests past
 * their `untilMs` are ignored (the match is too old to be worth joining).
 */
import { fitsMatch } from "./attributes.ts";
import { regionsAt, windowAt, type ModeRules } from "./rules.ts";
import type { Ticket } from "./ticket.ts";
import type { BackfillOpening } from "../protocol/index.ts";

/** One match's open seats as the leader reads them: the room's opening plus its players' ratings (same order as `teams[].players`). */
export interface BackfillRequest extends BackfillOpening {
  readonly ratings: readonly (readonly number[])[];
}

export interface BackfillPick {
  readonly ticket: Ticket;
  readonly team: number;
}

export interface BackfillFill {
  readonly request: BackfillRequest;
  readonly picks: readonly BackfillPick[];
  /** largest minus smallest team mean rating with the picks seated */
  readonly ratingGap: number;
}

/** Eligible candidates compared per team and pick (nearest to the rating that evens the teams first). */
export const CANDIDATES_PER_SEAT = 16;
/** Tickets looked at per team and pick before giving up on it this pass (a busy pool full of misfits). */
const SCAN_LIMIT = 2048;

/** The pool's tickets in rating order (built once per pass, only when requests exist). */
function byRating(pool: readonly Ticket[]): Ticket[] {
  return [...pool].sort((a, b) => a.rating - b.rating);
}

/** First index whose rating is >= r. */
function lowerBound(sorted: readonly Ticket[], r: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.rating < r) lo = mid + 1; else hi = mid;
  }
  return lo;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Largest minus smallest team mean over teams with anyone in them. */
function gapOf(teams: readonly (readonly number[])[]): number {
  let lo = Infinity, hi = -Infinity;
  for (const t of teams) {
    if (!t.length) continue;
    const m = mean(t);
    if (m < lo) lo = m;
    if (m > hi) hi = m;
  }
  return hi === -Infinity ? 0 : hi - lo;
}

/**
 * Fill what can be filled of `requests` from `pool` at `nowMs`. Returns the fills (requests with at
 * least one pick) and the ids of the tickets they take; the caller claims them (fenced) before the
 * room admits the players, and leaves them out of the pass that forms new matches.
 */
export function fillBackfills(requests: readonly BackfillRequest[], pool: readonly Ticket[], nowMs: number, rules: ModeRules): { fills: BackfillFill[]; taken: Set<string> } {
  const taken = new Set<string>();
  const fills: BackfillFill[] = [];
  const live = requests.filter((r) => r.mode === rules.name && r.untilMs > nowMs && r.teams.some((t) => t.open > 0))
    .sort((a, b) => a.openedAt - b.openedAt || (a.matchId < b.matchId ? -1 : 1));
  if (!live.length || !pool.length) return { fills, taken };
  const sorted = byRating(pool.filter((t) => t.mode === rules.name));
  for (const req of live) {
    const fill = fillOne(req, sorted, taken, nowMs, rules);
    if (fill) fills.push(fill);
  }
  return { fills, taken };
}

function fillOne(req: BackfillRequest, sorted: readonly Ticket[], taken: Set<string>, nowMs: number, rules: ModeRules): BackfillFill | null {
  const seatWaitS = Math.max(0, (nowMs - req.openedAt) / 1000);
  const teams = req.ratings.map((r) => [...r]);
  const open = req.teams.map((t) => t.open);
  const inMatch = new Set(req.teams.flatMap((t) => t.players));
  const everyone = teams.flat();
  if (!everyone.length) return null; // nobody left to play with: the room ends the match itself
  const matchMean = mean(everyone);
  const gapAllowed = windowAt(rules.teamGap, seatWaitS);
  const picks: BackfillPick[] = [];
  const regionOk = new Map<Ticket, boolean>();
  const eligible = (t: Ticket): boolean => {
    if (taken.has(t.id) || t.playerIds.some((id) => inMatch.has(id))) return false;
    const waitS = Math.max(seatWaitS, (nowMs - t.enqueuedAt) / 1000);
    if (Math.abs(t.rating - matchMean) > windowAt(rules.skillWindow, waitS)) return false;
    if (!fitsMatch(rules, req.attributes, t)) return false;
    let ok = regionOk.get(t);
    if (ok === undefined) regionOk.set(t, ok = t.region === req.region || regionsAt(rules, t, Math.max(0, (nowMs - t.enqueuedAt) / 1000)).includes(req.region));
    return ok;
  };
  for (;;) {
    let best: { ticket: Ticket; team: number; gap: number } | null = null;
    for (let team = 0; team < open.length; team++) {
      const seats = open[team]!;
      if (seats <= 0) continue;
      // the rating that would even this team's mean with the others' if every open seat took it
      const others = teams.flatMap((t, i) => (i === team ? [] : t));
      const mine = teams[team]!;
      const target = others.length ? (mean(others) * (mine.length + seats) - mine.reduce((a, b) => a + b, 0)) / seats : matchMean;
      let found = 0, scanned = 0;
      // walk outward from the target, nearest rating first
      let hi = lowerBound(sorted, target), lo = hi - 1;
      while ((lo >= 0 || hi < sorted.length) && found < CANDIDATES_PER_SEAT && scanned < SCAN_LIMIT) {
        const takeHi = lo < 0 || (hi < sorted.length && sorted[hi]!.rating - target <= target - sorted[lo]!.rating);
        const t = takeHi ? sorted[hi++]! : sorted[lo--]!;
        scanned++;
        if (t.playerIds.length > seats || !eligible(t)) continue;
        found++;
        // judged as the team will be once full: its other open seats counted at the target rating
        // (else the first of two picks that even the teams exactly would look unfair on its own)
        const rest = seats - t.playerIds.length;
        const trial = teams.map((ratings, i) => (i === team ? [...ratings, ...t.playerRatings, ...new Array<number>(rest).fill(target)] : ratings));
        const gap = gapOf(trial);
        if (!best || gap < best.gap - 1e-9) best = { ticket: t, team, gap };
      }
    }
    if (!best || best.gap > gapAllowed) break;
    picks.push({ ticket: best.ticket, team: best.team });
    taken.add(best.ticket.id);
    teams[best.team]!.push(...best.ticket.playerRatings);
    open[best.team]! -= best.ticket.playerIds.length;
  }
  return picks.length ? { request: req, picks, ratingGap: gapOf(teams) } : null;
}
