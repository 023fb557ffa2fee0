/**
 * What a waiting ticket's rules say about its wait: the regions it may play in now, and when the
 * next relaxation applies (bots may fill, more regions open). Pure functions of (rules, ticket,
 * wait): the queue room's `status` message carries them so a client can say why it is waiting
 * and what comes next. Times are seconds of wait since the ticket's (original) enqueue time, the
 * clock `waitedMs` counts on.
 */
import { regionsAt, type ModeRules } from "./rules.ts";
import type { Ticket } from "./ticket.ts";

type Rules = Pick<ModeRules, "bots" | "regions" | "shards">;
type Where = Pick<Ticket, "region" | "latencies">;

export interface WaitOutlook {
  /** wait (s) from which bots may fill empty seats (already past when <= the wait); null: this mode never uses bots */
  readonly botsAtS: number | null;
  /** wait (s) at which the next region-expansion step opens more regions to this ticket; null: none left */
  readonly nextRegionsAtS: number | null;
  /** the regions that step adds, nearest first (empty when `nextRegionsAtS` is null) */
  readonly nextRegions: readonly string[];
}

/** Regions the ticket may play in after `waitS` (the rules' `regionsAt`, re-exported for callers of this module). */
export { regionsAt };

export function waitOutlook(rules: Rules, ticket: Where, waitS: number): WaitOutlook {
  const botsAtS = rules.bots === false ? null : rules.bots.afterS;
  const now = new Set(regionsAt(rules, ticket, waitS));
  // steps still ahead, soonest first: the first that adds a region for this ticket is what comes next
  const ahead = [...new Set(rules.regions.steps.filter((s) => s.afterS > waitS).map((s) => s.afterS))].sort((a, b) => a - b);
  for (const at of ahead) {
    const added = regionsAt(rules, ticket, at).filter((r) => !now.has(r));
    if (added.length) return { botsAtS, nextRegionsAtS: at, nextRegions: added };
  }
  return { botsAtS, nextRegionsAtS: null, nextRegions: [] };
}
