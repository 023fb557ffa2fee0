/**
 * The run's PNG chart, rendered server-side: a Vega-Lite spec compiled to Vega, rendered to SVG by
 * Vega's headless view, rasterized by resvg (no browser). Three panels over time: concurrent players
 * (running, queued, playing), seats per second, and latency (queue-to-seat p50/p99 per 5 s, ping p50).
 */
import { writeFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vl from "vega-lite";
import type { SecondPoint } from "./driver.ts";
import { percentile } from "./stats.ts";

interface Row { t: number; series: string; value: number }

export function chartRows(points: readonly SecondPoint[], bucketS = 5): { players: Row[]; seats: Row[]; latency: Row[] } {
  const players: Row[] = [], seats: Row[] = [], latency: Row[] = [];
  const sorted = [...points].sort((a, b) => a.t - b.t);
  for (const p of sorted) {
    players.push({ t: p.t, series: "running", value: p.active }, { t: p.t, series: "queued", value: p.queued }, { t: p.t, series: "playing", value: p.playing });
  }
  const buckets = new Map<number, { seats: number; wait: number[]; rtt: number[] }>();
  for (const p of sorted) {
    const b = Math.floor(p.t / bucketS) * bucketS;
    const x = buckets.get(b) ?? { seats: 0, wait: [], rtt: [] };
    x.seats += p.seats; x.wait.push(...p.waitMs); x.rtt.push(...p.rtts);
    buckets.set(b, x);
  }
  for (const [t, x] of buckets) {
    seats.push({ t, series: "seats/s", value: x.seats / bucketS });
    const wait = x.wait.sort((a, b) => a - b), rtt = x.rtt.sort((a, b) => a - b);
    const add = (series: string, v: number | null) => { if (v !== null) latency.push({ t, series, value: v }); };
    add("queue-to-seat p50", percentile(wait, 50));
    add("queue-to-seat p99", percentile(wait, 99));
    add("ping p50", percentile(rtt, 50));
  }
  return { players, seats, latency };
}

export async function renderChart(points: readonly SecondPoint[], title: string): Promise<Buffer> {
  const rows = chartRows(points);
  const panel = (data: Row[], y: string, scaleType: "linear" | "symlog" = "linear") => ({
    width: 760, height: 170,
    data: { values: data },
    mark: { type: "line" as const, interpolate: "linear" as const },
    encoding: {
      x: { field: "t", type: "quantitative" as const, title: "seconds" },
      y: { field: "value", type: "quantitative" as const, title: y, scale: { type: scaleType } },
      color: { field: "series", type: "nominal" as const, title: null },
    },
  });
  const spec: vl.TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    background: "white",
    vconcat: [panel(rows.players, "players"), panel(rows.seats, "seats per second"), panel(rows.latency, "ms (symlog)", "symlog")],
    resolve: { scale: { color: "independent" } },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return new Resvg(svg, { background: "white", font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
}

export async function writeChart(path: string, points: readonly SecondPoint[], title: string): Promise<void> {
  writeFileSync(path, await renderChart(points, title));
}
