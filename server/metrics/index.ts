/**
 * Prometheus metrics for one node. Each node owns its own Registry (no global default registry),
 * so two nodes in one test process never collide.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric, type MetricObjectWithValues, type MetricType, type MetricValueWithName } from "prom-client";
import type { RoomObserver } from "../../rooms/index.ts";

export interface Metrics {
  readonly registry: Registry;
  readonly rooms: RoomObserver;
  readonly httpRequests: Counter<"route" | "status">;
  text(): Promise<string>;
}

export function createMetrics(labels: { region: string }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  // Event-loop lag is sampled every 100 ms instead of prom-client's 10 ms: the 10 ms timer alone woke an
  // idle node 100 times a second (110 wakeups/s in all, against 21 now), which is what a warm pool of
  // idle nodes pays for; a lag spike still shows in the next sample.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });

  const rooms = new Gauge({ name: "rally_rooms", help: "Rooms hosted by this node, by room type", labelNames: ["room"], registers: [registry] });
  const clients = new Gauge({ name: "rally_clients", help: "Connected clients on this node, by room type", labelNames: ["room"], registers: [registry] });
  const messagesIn = new Counter({ name: "rally_messages_in_total", help: "Client messages received, by room type and message type", labelNames: ["room", "type"], registers: [registry], collect: () => flushMessages() });
  const messagesOut = new Counter({ name: "rally_messages_out_total", help: "Messages and state patches sent to clients, by room type", labelNames: ["room", "kind"], registers: [registry], collect: () => flushMessages() });
  const rejected = new Counter({ name: "rally_messages_rejected_total", help: "Client messages refused (invalid or over the rate limit), by room type and reason", labelNames: ["room", "reason"], registers: [registry] });
  const tickBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05];
  const tick = new LocalHistogram("rally_tick_duration_seconds", "Simulation step duration, by room type (a sample: every 64th fixed step of each room is timed)", "room", tickBuckets);
  registry.registerMetric(tick as unknown as Metric);
  const matches = new Counter({ name: "rally_match_results_total", help: "Match results reported, by room type and outcome", labelNames: ["room", "outcome"], registers: [registry] });
  const httpRequests = new Counter({ name: "rally_http_requests_total", help: "HTTP requests under /v1, by route and status", labelNames: ["route", "status"], registers: [registry] });

  // The hot paths (every tick, every message, every patch) only bump plain numbers in cells resolved
  // once per room type (and message type); prom-client sees them when it collects (every scrape and
  // every registry read), so the exported values are exact at any read and no label hashing, label
  // validation or allocation happens per message or per tick.
  interface RoomCells { patches: number; messages: number; inbound: Map<string, { n: number }> }
  const perRoom = new Map<string, RoomCells>();
  const cellsOf = (room: string): RoomCells => {
    let cells = perRoom.get(room);
    if (!cells) perRoom.set(room, (cells = { patches: 0, messages: 0, inbound: new Map() }));
    return cells;
  };
  const flushMessages = () => {
    for (const [room, cells] of perRoom) {
      if (cells.patches) { messagesOut.inc({ room, kind: "patch" }, cells.patches); cells.patches = 0; }
      if (cells.messages) { messagesOut.inc({ room, kind: "message" }, cells.messages); cells.messages = 0; }
      for (const [type, cell] of cells.inbound) if (cell.n) { messagesIn.inc({ room, type }, cell.n); cell.n = 0; }
    }
  };

  const observer: RoomObserver = {
    roomCreated: (room) => rooms.inc({ room }),
    roomDisposed: (room) => rooms.dec({ room }),
    clientJoined: (room) => clients.inc({ room }),
    clientLeft: (room) => clients.dec({ room }),
    messageIn: (room, type) => {
      // Only registered message types reach here, so the label set stays bounded.
      const inbound = cellsOf(room).inbound;
      const cell = inbound.get(type);
      if (cell) cell.n++;
      else inbound.set(type, { n: 1 });
    },
    messagesOut: (room, kind, n = 1) => {
      const cells = cellsOf(room);
      if (kind === "patch") cells.patches += n;
      else cells.messages += n;
    },
    messageRejected: (room, reason) => rejected.inc({ room, reason }),
    tickDuration: (room, seconds) => tick.observe(room, seconds),
    matchReported: (room, outcome) => matches.inc({ room, outcome }),
  };

  return { registry, rooms: observer, httpRequests, text: () => registry.metrics() };
}

/**
 * A Prometheus histogram with one label whose observations are plain array increments (no label
 * hashing or validation, no allocation): the tick histogram is observed by every room on every
 * fixed step. Registered like any prom-client metric; exports the same series as a prom-client
 * Histogram (`_bucket` with cumulative `le`, `_sum`, `_count`), so scrapes and registry merges see
 * no difference.
 */
class LocalHistogram {
  readonly type = "histogram" as unknown as MetricType; // prom-client declares an enum; the runtime value is the string
  readonly aggregator = "sum";
  private readonly series = new Map<string, { buckets: Float64Array; sum: number; count: number }>();

  constructor(readonly name: string, readonly help: string, private readonly label: string, private readonly bounds: readonly number[]) {}

  observe(labelValue: string, value: number): void {
    let s = this.series.get(labelValue);
    if (!s) this.series.set(labelValue, (s = { buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 }));
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) { s.buckets[i]++; break; }
    }
    s.sum += value;
    s.count++;
  }

  get(): Omit<MetricObjectWithValues<MetricValueWithName<string>>, "collect"> {
    const values: MetricValueWithName<string>[] = [];
    for (const [labelValue, s] of this.series) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.buckets[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le, [this.label]: labelValue }, value: acc });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf", [this.label]: labelValue }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: { [this.label]: labelValue }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.label]: labelValue }, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
