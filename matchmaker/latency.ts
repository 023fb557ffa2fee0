/**
 * What a queue ticket may believe of the latencies a client reports (`queue` join option `latencies`).
 *
 * The node can verify one figure only: the round trip to itself, measured by the server over the
 * player's own queue connection (a WebSocket ping; every client answers it, no SDK change). So:
 * - the ticket's home region is always the region of the node the player's queue connection reached
 *   (a client picks its region by connecting to that region's node, e.g. after `client.getLatency()`
 *   against each region's endpoint);
 * - the node's own region gets the measured round trip (the claim is ignored);
 * - another region can never look closer than the measured round trip here: a region that really is
 *   closer is one the client should have connected to. Claims above it are kept (they only widen the
 *   regions the ticket may roam to after the mode's delays, within its latency budget).
 * A forged map therefore cannot move a player to another region, nor pull it into a far region's
 * matches early.
 */

export interface VerifiedLatencies {
  readonly home: string;
  readonly latencies: Record<string, number>;
}

/**
 * `measuredMs`: the server-measured round trip to this node, or null when the client did not answer in
 * time (then the claim for this region, or 0, stands in, and the home is still this node's region).
 */
export function verifyLatencies(claimed: Readonly<Record<string, number>>, nodeRegion: string, measuredMs: number | null): VerifiedLatencies {
  const own = Math.round(measuredMs ?? claimed[nodeRegion] ?? 0);
  const latencies: Record<string, number> = { [nodeRegion]: own };
  for (const [region, ms] of Object.entries(claimed)) {
    if (region !== nodeRegion) latencies[region] = Math.max(ms, own);
  }
  return { home: nodeRegion, latencies };
}
