/**
 * A load worker process (forked by the coordinator): runs its share of the players and sends one
 * `WorkerReport` a second with what happened since the last one.
 */
import { LoadPlayer, type PlayerSink } from "./player.ts";
import type { DoubleSeatEvent, PlayerConfig, SeatEvent, ToWorker, UnseatEvent, WorkerReport } from "./protocol.ts";

const MAX_RTT_SAMPLES = 2000;

// The SDK narrates reconnection attempts and failed joins on the console; hundreds of players would drown
// the progress line, and every failure is counted by code anyway.
console.info = () => undefined;
console.error = () => undefined; // "Room connection was closed unexpectedly": counted by code instead
console.warn = () => undefined; // "onMessage() not registered": a status racing the seat

let worker = 0;
let targets: string[] = [];
let config: PlayerConfig | undefined;
let next = 0;
const players: LoadPlayer[] = [];
const stopping = new Set<Promise<void>>();

let seats: SeatEvent[] = [];
let unseats: UnseatEvent[] = [];
let doubleSeats: DoubleSeatEvent[] = [];
let rtts: number[] = [];
let errors: Record<string, number> = {};
let requeues = 0;
let rttSeen = 0;

const sink: PlayerSink = {
  seat: (player, waitMs, roomId, node, host) => seats.push({ player, at: Date.now(), waitMs, roomId, node, host }),
  unseat: (player, roomId, code, at) => unseats.push({ player, at, roomId, code }),
  doubleSeat: (player, rooms) => doubleSeats.push({ player, at: Date.now(), rooms }),
  rtt: (ms) => {
    // reservoir sample: a bounded, unbiased set per report
    rttSeen++;
    if (rtts.length < MAX_RTT_SAMPLES) rtts.push(ms);
    else {
      const j = Math.floor(Math.random() * rttSeen);
      if (j < MAX_RTT_SAMPLES) rtts[j] = ms;
    }
  },
  error: (code) => { errors[code] = (errors[code] ?? 0) + 1; },
  requeue: () => { requeues++; },
};

let cpuMark = process.cpuUsage();

function report(final: boolean): void {
  const cpu = process.cpuUsage(cpuMark);
  cpuMark = process.cpuUsage();
  const waiting: WorkerReport["waiting"] = {};
  let queued = 0, playing = 0;
  for (const p of players) {
    if (p.state === "queued") { queued++; waiting[p.id] = { since: p.queuedSince, node: p.queuedVia }; }
    else if (p.state === "playing") playing++;
  }
  const msg: WorkerReport = { type: "report", worker, at: Date.now(), active: players.length, queued, playing, seats, unseats, doubleSeats, rtts, errors, requeues, waiting, cpuMs: (cpu.user + cpu.system) / 1000, final };
  process.send?.(msg);
  seats = []; unseats = []; doubleSeats = []; rtts = []; errors = {}; requeues = 0; rttSeen = 0;
}

function resize(count: number): void {
  if (!config) return;
  while (players.length < count) {
    const p = new LoadPlayer(() => targets[next++ % targets.length]!, config, sink);
    players.push(p);
    p.start();
  }
  while (players.length > count) {
    const p = players.pop()!;
    const s = p.stop();
    stopping.add(s);
    void s.finally(() => stopping.delete(s));
  }
}

const timer = setInterval(() => report(false), 1000);

process.on("message", (raw: unknown) => {
  const m = raw as ToWorker;
  switch (m.type) {
    case "init":
      worker = m.worker;
      targets = m.targets;
      config = m.config;
      next = m.worker; // spread the workers' first players over the nodes
      break;
    case "targets":
      targets = m.targets;
      break;
    case "players":
      resize(m.count);
      break;
    case "stop":
      resize(0);
      void Promise.race([Promise.allSettled([...stopping]), new Promise((r) => setTimeout(r, 10_000))]).then(() => {
        clearInterval(timer);
        report(true);
        process.disconnect?.();
        setTimeout(() => process.exit(0), 200).unref();
      });
      break;
  }
});

process.on("disconnect", () => process.exit(0));
