/** Queues and waits for the console: per mode, the waiting tickets of every shard, read from the ticket store. */
import { shardsOf, ticketSize, waitS, type QueueModes, type TicketStore } from "../../matchmaker/index.ts";

/** What the summary reads: the modes and the (cluster-wide with Redis) ticket store. MatchmakerService fits. */
export interface WaitingSource {
  readonly modes: QueueModes;
  readonly store: Pick<TicketStore, "listWaiting">;
}

export interface QueueSummary {
  readonly mode: string;
  readonly waitingTickets: number;
  readonly waitingPlayers: number;
  /** Seconds the oldest waiting ticket has waited; 0 when none waits. */
  readonly oldestWaitS: number;
  readonly regions: ReadonlyArray<{ readonly region: string; readonly tickets: number; readonly players: number; readonly oldestWaitS: number }>;
}

const tenths = (s: number) => Math.round(s * 10) / 10;

export async function queueSummary(source: WaitingSource, nowMs: number): Promise<QueueSummary[]> {
  const out: QueueSummary[] = [];
  for (const [mode, def] of Object.entries(source.modes)) {
    const byRegion = new Map<string, { tickets: number; players: number; oldest: number }>();
    for (const shard of shardsOf(def.rules)) {
      for (const t of await source.store.listWaiting(mode, { shard })) {
        const e = byRegion.get(t.region) ?? { tickets: 0, players: 0, oldest: 0 };
        e.tickets++;
        e.players += ticketSize(t);
        e.oldest = Math.max(e.oldest, waitS(t, nowMs));
        byRegion.set(t.region, e);
      }
    }
    const regions = [...byRegion].sort(([a], [b]) => a.localeCompare(b))
      .map(([region, e]) => ({ region, tickets: e.tickets, players: e.players, oldestWaitS: tenths(e.oldest) }));
    out.push({
      mode,
      waitingTickets: regions.reduce((n, r) => n + r.tickets, 0),
      waitingPlayers: regions.reduce((n, r) => n + r.players, 0),
      oldestWaitS: regions.reduce((m, r) => Math.max(m, r.oldestWaitS), 0),
      regions,
    });
  }
  return out;
}
