/**
 * Prometheus metrics for one node. Each node owns its own Registry (no global default registry),
 * so two nodes in one test process never collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
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
  collectDefaultMetrics({ register: registry });

  const rooms = new Gauge({ name: "rally_rooms", help: "Rooms hosted by this node, by room type", labelNames: ["room"], registers: [registry] });
  const clients = new Gauge({ name: "rally_clients", help: "Connected clients on this node, by room type", labelNames: ["room"], registers: [registry] });
  const messagesIn = new Counter({ name: "rally_messages_in_total", help: "Client messages received, by room type and message type", labelNames: ["room", "type"], registers: [registry] });
  const messagesOut = new Counter({ name: "rally_messages_out_total", help: "Messages and state patches sent to clients, by room type", labelNames: ["room", "kind"], registers: [registry] });
  const rejected = new Counter({ name: "rally_messages_rejected_total", help: "Client messages refused (invalid or over the rate limit), by room type and reason", labelNames: ["room", "reason"], registers: [registry] });
  const tick = new Histogram({
    name: "rally_tick_duration_seconds", help: "Simulation step duration, by room type", labelNames: ["room"], registers: [registry],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
  });
  const matches = new Counter({ name: "rally_match_results_total", help: "Match results reported, by room type and outcome", labelNames: ["room", "outcome"], registers: [registry] });
  const httpRequests = new Counter({ name: "rally_http_requests_total", help: "HTTP requests under /v1, by route and status", labelNames: ["route", "status"], registers: [registry] });

  // Label lookups cost more than the observation itself on the hot paths (every tick, every
  // message), so each room type's children are resolved once and reused.
  const perRoom = new Map<string, { tick: { observe(v: number): void }; patches: { inc(n?: number): void }; messages: { inc(n?: number): void } }>();
  const forRoom = (room: string) => {
    let children = perRoom.get(room);
    if (!children) {
      children = { tick: tick.labels({ room }), patches: messagesOut.labels({ room, kind: "patch" }), messages: messagesOut.labels({ room, kind: "message" }) };
      perRoom.set(room, children);
    }
    return children;
  };

  const inbound = new Map<string, { inc(): void }>();
  const observer: RoomObserver = {
    roomCreated: (room) => rooms.inc({ room }),
    roomDisposed: (room) => rooms.dec({ room }),
    clientJoined: (room) => clients.inc({ room }),
    clientLeft: (room) => clients.dec({ room }),
    messageIn: (room, type) => {
      // Only registered message types reach here, so the label set stays bounded.
      const key = `${room}\u0000${type}`;
      let child = inbound.get(key);
      if (!child) inbound.set(key, (child = messagesIn.labels({ room, type })));
      child.inc();
    },
    messagesOut: (room, kind, n = 1) => (kind === "patch" ? forRoom(room).patches : forRoom(room).messages).inc(n),
    messageRejected: (room, reason) => rejected.inc({ room, reason }),
    tickDuration: (room, seconds) => forRoom(room).tick.observe(seconds),
    matchReported: (room, outcome) => matches.inc({ room, outcome }),
  };

  return { registry, rooms: observer, httpRequests, text: () => registry.metrics() };
}
