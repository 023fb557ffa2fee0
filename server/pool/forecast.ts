/**
 * Demand forecast for pre-warming: a seasonal maximum ("the busiest this slot was on the last N
 * days"), the baseline the orchestration notes recommend before anything fancier. State is a plain
 * object; time is passed in. The manager runs it in shadow mode by default (metrics only); in "on"
 * mode its answer is a floor for the policy: it may add nodes, never remove them.
 */

export interface ForecastConfig {
  /** Width of one slot. */
  readonly slotMs: number;
  /** Length of a season (a day). */
  readonly seasonMs: number;
  /** Seasons kept. */
  readonly seasons: number;
  /** How far ahead to look (time to start and warm a node, plus margin). */
  readonly leadMs: number;
}

export const defaultForecast: ForecastConfig = Object.freeze({
  slotMs: 5 * 60_000,
  seasonMs: 24 * 3600_000,
  seasons: 7,
  leadMs: 10 * 60_000,
});

export class SeasonalForecast {
  /** slot index (absolute) -> highest room count seen in it */
  private readonly peaks = new Map<number, number>();

  constructor(readonly config: ForecastConfig = defaultForecast) {}

  record(now: number, rooms: number): void {
    const slot = Math.floor(now / this.config.slotMs);
    this.peaks.set(slot, Math.max(this.peaks.get(slot) ?? 0, rooms));
    const oldest = slot - Math.ceil((this.config.seasons * this.config.seasonMs) / this.config.slotMs) - 1;
    for (const k of this.peaks.keys()) if (k < oldest) this.peaks.delete(k);
  }

  /** Rooms expected over the next lead window, from the same window in past seasons; null without history. */
  rooms(now: number): number | null {
    const { slotMs, seasonMs, seasons, leadMs } = this.config;
    let best: number | null = null;
    for (let s = 1; s <= seasons; s++) {
      const from = Math.floor((now - s * seasonMs) / slotMs);
      const to = Math.floor((now - s * seasonMs + leadMs) / slotMs);
      for (let k = from; k <= to; k++) {
        const v = this.peaks.get(k);
        if (v !== undefined) best = Math.max(best ?? 0, v);
      }
    }
    return best;
  }

  /** Nodes for the forecast rooms plus the warm buffer, at `capacityPerNode` rooms each. */
  nodes(now: number, capacityPerNode: number, warmRooms: number): number | null {
    const rooms = this.rooms(now);
    if (rooms === null || capacityPerNode <= 0) return null;
    return Math.ceil((rooms + warmRooms) / capacityPerNode);
  }
}
