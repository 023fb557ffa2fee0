/**
 * Bench server for `npm run bench:rooms`, one engine per process (the load generator runs elsewhere,
 * so this process' CPU is the server's alone):
 *
 *   BENCH_ENGINE=rally  the real Rally node (`createRally`: MatchRoom + arena, tokens, metrics, HTTP API)
 *   BENCH_ENGINE=bare   a plain Colyseus server with `arena_bare`: the same ArenaSimulation + ArenaState,
 *                       tick rate, patch rate, message rate limit, per-client StateView, and the same zod
 *                       input schema through Colyseus' own `onMessage(type, schema, handler)` (a production
 *                       room validates its input either way), and nothing else
 *
 * Both engines get the same instrumentation: `Room.prototype.setFixedTimestep` is wrapped so every
 * fixed step (the whole callback, Rally's wrapper included) is timed, and so is `ArenaSimulation.step`
 * alone (the game's own work, identical code in both engines).
 *
 * Env: BENCH_ENGINE, PORT (game), BENCH_STATS_PORT (stats); for rally the usual Rally variables.
 * Prints one line `{"bench":"ready",...}` on stdout once listening.
 * Stats: `GET http://127.0.0.1:$BENCH_STATS_PORT/stats[?reset=1]` returns cumulative process.cpuUsage(),
 * tick timings since the last reset, and local rooms/CCU; `reset=1` first runs one full GC (`settleHeap`), then starts a new tick window.
 * BENCH_CPU_PROF=<dir>: a V8 CPU profile of exactly the measured window (from `reset=1` to the next
 * stats call) is written there as `<engine>-<pid>.cpuprofile` (open in Chrome DevTools / speedscope).
 * BENCH_HEAP_PROF=<dir>: a sampling heap profile of the window, `<engine>-<pid>.heapprofile`, counting
 * what is still live plus what only a full GC freed (what got promoted), by allocation stack.
 */
import { createServer } from "node:http";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { Room, defineRoom, defineServer, matchMaker, type Client, type FixedTimestepCallback, type StepContext } from "@colyseus/core";
import { StateView } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { OPEN_ROOM_START_DELAY_MS } from "../../rooms/index.ts";
import { ARENA, ArenaSimulation, ArenaState, arenaInputSchema } from "../../examples/arena/index.ts";

const engine = process.env.BENCH_ENGINE;
const port = Number(process.env.PORT);
const statsPort = Number(process.env.BENCH_STATS_PORT);
if (engine !== "rally" && engine !== "bare") throw new Error(`BENCH_ENGINE must be rally or bare (got ${JSON.stringify(engine)})`);
if (!port || !statsPort) throw new Error("PORT and BENCH_STATS_PORT are required");

// ---- instrumentation (identical for both engines) ------------------------------------------------

let ticks: number[] = [];
const originalSetFixedTimestep = Room.prototype.setFixedTimestep;
Room.prototype.setFixedTimestep = function (this: Room, step: FixedTimestepCallback, tickRate?: number, opts?: { subSteps?: number }) {
  const timed: FixedTimestepCallback = (ctx) => {
    const t0 = performance.now();
    step(ctx);
    ticks.push(performance.now() - t0);
  };
  return originalSetFixedTimestep.call(this, timed, tickRate, opts);
};

// The game's own step alone, to tell the engine's per-tick overhead from the game's cost.
let simSteps: number[] = [];
// What the game did (same rules, so equal figures mean equal work): bullets and players per room per step.
let work = { steps: 0, bullets: 0, players: 0 };
const originalStep = ArenaSimulation.prototype.step;
ArenaSimulation.prototype.step = function (this: ArenaSimulation, dtMs: number) {
  const t0 = performance.now();
  const ended = originalStep.call(this, dtMs);
  simSteps.push(performance.now() - t0);
  const state = (this as unknown as { state: ArenaState }).state;
  work.steps++;
  work.bullets += state.bullets.size;
  work.players += state.players.size;
  return ended;
};

function summary(samples: number[]) {
  const arr = Array.from(Float64Array.from(samples).sort());
  return {
    count: arr.length,
    p50Ms: quantile(arr, 0.5),
    p99Ms: quantile(arr, 0.99),
    maxMs: arr.length ? arr[arr.length - 1] : 0,
    meanMs: arr.length ? arr.reduce((a, b) => a + b, 0) / arr.length : 0,
  };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

/**
 * One full GC just before the measured window, in both engines (the bench runs them with --expose-gc),
 * so each is measured in the state a long-running process is in, not in whatever state a 25 s run
 * happened to reach. It matters because of how Colyseus' encoder empties long-lived Maps on every
 * patch (rooms/patch-maps.ts has the details): after a room's first full GC, a plain Colyseus room
 * promotes all its patch bytes to the old generation for the rest of the process' life (0.8 MB per
 * scavenge against 0.14; far more major-GC work). Without this GC, whether the bare engine was there
 * yet depended on when V8 happened to run its first full GC. Rally's MatchRoom renews those Maps after
 * each patch, so it leaves that state at its next patch.
 */
function settleHeap(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

// Optional window-scoped CPU profile (the server is SIGKILLed at the end, so --cpu-prof would never write).
const profDir = process.env.BENCH_CPU_PROF;
let profiler: Session | undefined;
const heapDir = process.env.BENCH_HEAP_PROF;
let heapProfiler: Session | undefined;
async function heapWindow(reset: boolean): Promise<void> {
  if (!heapDir) return;
  if (reset) {
    heapProfiler = new Session();
    heapProfiler.connect();
    await heapProfiler.post("HeapProfiler.enable");
    await heapProfiler.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true });
  } else if (heapProfiler) {
    const { profile } = await heapProfiler.post("HeapProfiler.stopSampling");
    heapProfiler.disconnect();
    heapProfiler = undefined;
    writeFileSync(join(heapDir, `${engine}-${process.pid}.heapprofile`), JSON.stringify(profile));
  }
}
async function profileWindow(reset: boolean): Promise<void> {
  await heapWindow(reset);
  if (!profDir) return;
  if (reset) {
    profiler = new Session();
    profiler.connect();
    await profiler.post("Profiler.setSamplingInterval", { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US) || 500 });
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.start");
  } else if (profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    profiler.disconnect();
    profiler = undefined;
    writeFileSync(join(profDir, `${engine}-${process.pid}.cpuprofile`), JSON.stringify(profile));
  }
}

createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname !== "/stats") {
    res.writeHead(404).end();
    return;
  }
  const reset = url.searchParams.get("reset") === "1";
  if (reset) settleHeap();
  else await profileWindow(false);
  const cpu = process.cpuUsage();
  const body = {
    engine,
    pid: process.pid,
    nowMs: performance.now(),
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    ticks: summary(ticks),
    simSteps: summary(simSteps),
    threads: threadCpuMs(),
    work: { bulletsPerRoom: work.steps ? work.bullets / work.steps : 0, playersPerRoom: work.steps ? work.players / work.steps : 0 },
    rooms: matchMaker.stats.local.roomCount,
    ccu: matchMaker.stats.local.ccu,
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  };
  if (reset) {
    ticks = [];
    simSteps = [];
    work = { steps: 0, bullets: 0, players: 0 };
  }
  if (reset) await profileWindow(true);
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}).listen(statsPort, "127.0.0.1");

/**
 * CPU ms of the main (JavaScript) thread and of all other threads (V8's GC helpers and compilers,
 * libuv's pool), from /proc on Linux; null elsewhere. Tells the engine's own work from GC and JIT.
 */
function threadCpuMs(): { main: number; other: number } | null {
  try {
    let main = 0, other = 0;
    for (const tid of readdirSync("/proc/self/task")) {
      // fields after "(comm) ": state is [0], utime [11], stime [12], in clock ticks (100 Hz)
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      if (Number(tid) === process.pid) main += ms;
      else other += ms;
    }
    return { main, other };
  } catch {
    return null;
  }
}

// ---- the bare engine ----------------------------------------------------------------------------

/**
 * The arena game on a plain Colyseus Room: no tokens, metrics or results; Colyseus' own input
 * validation. Same rules as Rally's open `arena`: it waits for two players, starts
 * OPEN_ROOM_START_DELAY_MS later, and only then steps the simulation. (Stepping from creation instead
 * is not the same work: Rally's rooms, measured 3 s into play, still had every player firing the ammo
 * it spawned with, 20-30% more bullets in flight than the bare rooms, which were past that volley.)
 */
class BareArenaRoom extends Room<{ state: ArenaState }> {
  override maxMessagesPerSecond = ARENA.maxMessagesPerSecond;
  private sim!: ArenaSimulation;

  override onCreate(options: { roomSize?: number }): void {
    this.maxClients = Math.max(1, Math.min(64, Number(options?.roomSize) || 8));
    const state = new ArenaState();
    this.sim = new ArenaSimulation(state, 2);
    this.setState(state);
    this.onMessage("input", arenaInputSchema, (client: Client, input) => {
      this.sim.setInput(client.sessionId, input);
    });
  }

  private play(): void {
    this.state.phase = "playing";
    this.setFixedTimestep((step: StepContext) => { this.sim.step(step.dtMs); }, ARENA.tickRate);
  }

  override onJoin(client: Client): void {
    const sizes = [0, 0];
    for (const p of this.state.players.values()) sizes[p.team]++;
    const player = this.sim.addPlayer(client.sessionId, { playerId: client.sessionId, name: "bare", team: sizes[0] <= sizes[1] ? 0 : 1 });
    client.view = new StateView();
    client.view.add(player);
    if (this.state.players.size === 2) this.clock.setTimeout(() => this.play(), OPEN_ROOM_START_DELAY_MS);
  }

  override onLeave(client: Client): void {
    this.sim.removePlayer(client.sessionId);
  }
}

// ---- start -------------------------------------------------------------------------------------

if (engine === "rally") {
  const { createRally } = await import("../../server/index.ts");
  const { arenaGame } = await import("../../examples/arena/index.ts");
  // Diagnostic (BENCH_BARE_IN_RALLY=1): the bare room hosted by the real Rally node (registered like any
  // room, so its clients need guest tokens too), to tell the cost of the node's background work
  // (metrics, matchmaker, heartbeat, presence) from MatchRoom's own.
  const rooms = process.env.BENCH_BARE_IN_RALLY === "1" ? { arena_bare: { room: BareArenaRoom } } : undefined;
  const rally = await createRally({ games: { arena: arenaGame }, rooms, handleSignals: false });
  await rally.listen();
} else {
  const server = defineServer({
    rooms: { arena_bare: defineRoom(BareArenaRoom) },
    transport: new WebSocketTransport({ maxPayload: 16 * 1024 }),
    gracefullyShutdown: false,
    greet: false,
  });
  await server.listen(port, "127.0.0.1");
}
console.log(JSON.stringify({ bench: "ready", engine, port, statsPort, pid: process.pid }));
