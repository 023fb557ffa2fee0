/**
 * Prometheus metrics of the matchmaker, registered on the node's own Registry (never the global one).
 * Gauges of waiting tickets are set by the process that currently leads a (mode, shard) matcher, for
 * that shard's regions, and removed when it stops leading, so a sum over nodes is the cluster figure.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface MatchmakerMetrics {
  ticketsWaiting: Gauge<"mode" | "region">;
  timeToMatch: Histogram<"mode" | "region">;
  matchesFormed: Counter<"mode" | "region" | "bots">;
  ratingGap: Histogram<"mode">;
  predictedWin: Histogram<"mode">;
  crossRegion: Counter<"mode">;
  requeues: Counter<"mode" | "reason">;
  backfillSeats: Counter<"mode">;
  backfillFill: Histogram<"mode">;
  passDuration: Histogram<"mode">;
  queued: Counter<"mode">;
  refused: Counter<"code">;
  leader: Gauge<"mode" | "shard">;
  proposals: Counter<"mode" | "outcome">;
}

export function createMatchmakerMetrics(registry: Registry): MatchmakerMetrics {
  const registers = [registry];
  return {
    ticketsWaiting: new Gauge({ name: "rally_mm_tickets_waiting", help: "Tickets waiting in the queue, by mode and home region (reported by the mode's matcher leader)", labelNames: ["mode", "region"], registers }),
    timeToMatch: new Histogram({
      name: "rally_mm_time_to_match_seconds", help: "Per ticket: enqueue (original, kept across re-queues) to match formed", labelNames: ["mode", "region"], registers,
      buckets: [0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300],
    }),
    matchesFormed: new Counter({ name: "rally_mm_matches_formed_total", help: "Matches formed and provisioned, by mode, host region and whether bots fill seats", labelNames: ["mode", "region", "bots"], registers }),
    ratingGap: new Histogram({ name: "rally_mm_rating_gap", help: "Largest minus smallest team mean search rating per match", labelNames: ["mode"], registers, buckets: [1, 2, 5, 10, 15, 25, 50, 100, 200] }),
    predictedWin: new Histogram({ name: "rally_mm_predicted_win_probability", help: "Favoured team's predicted win probability per match", labelNames: ["mode"], registers, buckets: [0.5, 0.51, 0.52, 0.53, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9] }),
    crossRegion: new Counter({ name: "rally_mm_cross_region_matches_total", help: "Matches with players from more than one home region", labelNames: ["mode"], registers }),
    backfillSeats: new Counter({ name: "rally_mm_backfill_seats_total", help: "Players seated in running matches' open seats (backfill), by mode", labelNames: ["mode"], registers }),
    backfillFill: new Histogram({ name: "rally_mm_backfill_fill_seconds", help: "Backfill: from a match's oldest open seat opening to its fill", labelNames: ["mode"], registers, buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300] }),
    requeues: new Counter({ name: "rally_mm_requeues_total", help: "Tickets put back in the queue with their original enqueue time, by reason", labelNames: ["mode", "reason"], registers }),
    passDuration: new Histogram({ name: "rally_mm_pass_duration_seconds", help: "One matcher pass (runPass only, without store I/O)", labelNames: ["mode"], registers, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5] }),
    queued: new Counter({ name: "rally_mm_tickets_created_total", help: "Tickets created by queue rooms on this node", labelNames: ["mode"], registers }),
    refused: new Counter({ name: "rally_mm_queue_refused_total", help: "Queue joins refused, by error code", labelNames: ["code"], registers }),
    leader: new Gauge({ name: "rally_mm_leader", help: "1 while this node holds the matcher lease of the (mode, region shard); shard=\"default\" for a mode without shards", labelNames: ["mode", "shard"], registers }),
    proposals: new Counter({ name: "rally_mm_proposals_total", help: "Match proposals (modes with acceptS) settled by this node's leader, by outcome (accepted, declined, timeout)", labelNames: ["mode", "outcome"], registers }),
  };
}
