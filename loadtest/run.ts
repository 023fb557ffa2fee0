/**
 * `runLoad`: the whole load run. Targets the given nodes or starts a local cluster, follows the
 * ramp/steady/spike/recover schedule second by second, prints a progress line to stderr, and returns
 * the summary (the CLI prints it as one JSON line) after writing the PNG chart.
 */
import { resolve } from "node:path";
import { startCluster, type LocalCluster } from "./cluster.ts";
import { LoadDriver, type SeatFigures } from "./driver.ts";
import { MetricsPoller, type NodeSummary } from "./metrics.ts";
import { phases, targetAt, totalSeconds, type LoadOptions } from "./options.ts";
import { distribution } from "./stats.ts";
import { sleep } from "./wait.ts";

export interface LoadSummary extends SeatFigures {
  targets: string[];
  cluster: { nodes: number; store: string } | null;
  durationS: number;
  phases: Array<{ name: string; startS: number; endS: number }>;
  /** Most players running at once, and the steady/spike targets. */
  players: { peak: number; steady: number; spike: number };
  seatsPerS: number;
  nodes: NodeSummary[];
  /** The load generator's own worker processes: mean CPU, percent of one core, summed over workers. */
  loadGenerator: { workers: number; cpuAvgPct: number };
  chart: string | null;
}

export function metricsUrlsFor(targets: readonly string[], explicit: readonly string[]): Map<string, string> {
  return new Map(targets.map((t, i) => [t, explicit[i] ?? `${t.replace(/\/$/, "")}/metrics`]));
}

export function summarize(driver: LoadDriver, o: LoadOptions, targets: string[], poller: MetricsPoller, chart: string | null, peak: number): LoadSummary {
  const durationS = Math.max(1, (Date.now() - driver.startedAt) / 1000);
  return {
    targets,
    cluster: o.cluster ? { nodes: o.cluster, store: o.store } : null,
    durationS: Math.round(durationS),
    phases: phases(o),
    players: { peak, steady: o.players, spike: o.spikePlayers },
    ...driver.figures(),
    seatsPerS: Math.round((driver.seats.length / durationS) * 100) / 100,
    nodes: poller.summary(),
    loadGenerator: { workers: o.workers, cpuAvgPct: Math.round((driver.workerCpuMs / 10) / durationS) },
    chart,
  };
}

function progress(driver: LoadDriver, tS: number, total: number, phase: string | null, poller: MetricsPoller): string {
  const n = driver.now();
  const recent = driver.seats.filter((s) => s.at > Date.now() - 10_000).map((s) => s.waitMs);
  const d = distribution(recent);
  const cpu = [...poller.samples.values()].map((s) => (s.length ? `${Math.round(s.at(-1)!.cpu * 100)}%` : "-")).join("/");
  const errors = Object.values(driver.errors).reduce((a, b) => a + b, 0);
  return `[loadtest] ${Math.round(tS)}/${total}s ${phase ?? "done"} want=${driver.players} running=${n.active} queued=${n.queued} playing=${n.playing} seated=${driver.seats.length} seat-p50(10s)=${d.p50 ?? "-"}ms errors=${errors} cpu=${cpu}`;
}

/** Runs the schedule; `log` gets the progress lines (stderr in the CLI). */
export async function runLoad(o: LoadOptions, log: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<LoadSummary> {
  let cluster: LocalCluster | undefined;
  try {
    let targets = o.targets;
    let token = o.metricsToken;
    if (o.cluster) {
      log(`[loadtest] starting a local cluster: ${o.cluster} nodes, private redis-server, ${o.store} store`);
      cluster = await startCluster({ nodes: o.cluster, store: o.store });
      targets = cluster.nodes.map((n) => n.url);
      token = cluster.metricsToken;
    }
    const poller = new MetricsPoller(metricsUrlsFor(targets, o.metricsUrls), token);
    const driver = new LoadDriver(targets, { mode: o.mode, playS: o.playS, thinkS: o.thinkS, queueTimeoutS: o.queueTimeoutS, inputHz: o.inputHz, pingEveryS: o.pingEveryS }, o.workers);
    await driver.start();
    poller.start();
    const total = totalSeconds(o);
    const t0 = Date.now();
    let lastProgress = 0;
    let peak = 0;
    for (;;) {
      const tS = (Date.now() - t0) / 1000;
      const { players, phase } = targetAt(o, tS);
      if (phase === null) break;
      driver.setPlayers(players);
      peak = Math.max(peak, driver.now().active);
      if (tS - lastProgress >= o.progressEveryS) {
        lastProgress = tS;
        log(progress(driver, tS, total, phase, poller));
      }
      await sleep(250);
    }
    log("[loadtest] stopping players");
    await driver.stop();
    poller.stop();
    let chart: string | null = null;
    if (o.chart) {
      chart = resolve(o.chart);
      const { writeChart } = await import("./chart.ts"); // vega is heavy: loaded only when a chart is drawn
      await writeChart(chart, [...driver.series.values()], `Rally loadtest: ${o.players} players${o.spikePlayers ? `, spike ${o.spikePlayers}` : ""}, ${targets.length} node(s)`);
    }
    return summarize(driver, o, targets, poller, chart, peak);
  } finally {
    await cluster?.stop();
  }
}
