/**
 * `npm run bench:rooms [-- --clients 64 --roomSize 8 --seconds 15 --warmup 10 --order rally+bare,bare+rally --no-pin]`
 *
 * Rally's `arena` (real node, real guest tokens, MatchRoom layer) against a bare Colyseus room running
 * the same ArenaSimulation/ArenaState under the same rules (wait for two players, start 3 s later),
 * at the same tick and patch rate with per-client StateViews, each engine in its own server child
 * process (bench/rooms/server.ts). This process is only the load generator: N official @colyseus/sdk
 * clients per engine, `roomSize` per room (first one `create`s, the rest `joinById`), each sending a
 * random stick/aim/fire `input` at 20 Hz.
 *
 * Rounds (`--order`): `rally+bare` runs both engines side by side, at the same time, so drift in the
 * machine's speed (a shared VM moves by 20-30% between minutes) hits both alike; the first-named engine
 * connects first, and the default alternates that order. `rally,bare` runs one engine per round.
 * The servers are pinned to the last core and this process to the first (see `pin`). Each server runs
 * one full GC just before its window, so both are measured in a long-running process' GC state
 * (`settleHeap` in bench/rooms/server.ts says why that matters).
 *
 * Per engine, over the measured window (after every client sees the match playing, plus warm-up long
 * enough for the spawn ammo to run out, so the game is in its steady state):
 *   ccu                    clients still connected at the end
 *   tickP50Ms / tickP99Ms  duration of the fixed-step callback on the server
 *   bytesPerClientPerSec   raw WebSocket message bytes received by the clients
 *   cpuMsPerClientPerSec   server process CPU (user+system) ms per second per connected client
 *   bulletsPerRoom         what the game did (equal across engines means equal work)
 * The last line of output is one JSON object; `ratio` is oriented so >= 0.95 means Rally adds no cost
 * (ccu: rally/bare; every other figure: bare/rally). Side by side, it is the median of the rounds' own
 * ratios (`roundRatios`); one engine per round, the ratio of the engines' medians.
 * BENCH_CPU_PROF=<dir> / BENCH_HEAP_PROF=<dir> write a CPU / sampling heap profile of each server's measured window (bench/rooms/server.ts);
 * BENCH_SERVER_NODE_ARGS adds node flags to the servers (e.g. "--trace-deopt"), BENCH_SERVER_OUT=<path>
 * keeps their output.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, Room } from "@colyseus/sdk";
import { freePort } from "../test/support/processes.ts";
import { until } from "../test/support/wait.ts";

type Engine = "rally" | "bare";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));

// ---- flags ---------------------------------------------------------------------------------------

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = eq ? eq.split("=")[1] : i >= 0 ? process.argv[i + 1] : undefined;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got ${JSON.stringify(raw)})`);
  return n;
}
/** Rounds: `rally+bare` runs both engines at once (side by side), `rally` or `bare` one alone. */
function orderFlag(): Engine[][] {
  const eq = process.argv.find((a) => a.startsWith("--order="));
  const i = process.argv.indexOf("--order");
  const raw = eq ? eq.split("=")[1] : i >= 0 ? process.argv[i + 1] : "rally+bare,bare+rally,rally+bare,bare+rally";
  const order = raw.split(",").map((r) => r.split("+").map((s) => s.trim()));
  const flat = order.flat();
  const valid = order.every((r) => r.length >= 1 && r.length <= 2 && new Set(r).size === r.length)
    && flat.every((e) => e === "rally" || e === "bare") && flat.includes("rally") && flat.includes("bare");
  if (!valid) throw new Error(`--order lists rounds of rally and bare, e.g. rally+bare,bare+rally (side by side) or rally,bare,bare,rally (one at a time); got ${raw}`);
  return order as Engine[][];
}

const clients = Math.floor(flag("clients", 64));
const roomSize = Math.floor(flag("roomSize", 8));
const seconds = flag("seconds", 15);
const warmup = flag("warmup", 10);
const inputHz = flag("inputHz", 20);
const order = orderFlag();
if (roomSize < 2 || roomSize > 16) throw new Error("--roomSize must be 2..16 (arena seats 16)");
if (clients < roomSize) throw new Error("--clients must be at least --roomSize");

const log = (msg: string) => console.log(`[bench:rooms] ${msg}`);

/**
 * CPU pinning (the default when `taskset` exists and the machine has 2+ cores; `--no-pin` turns it off): this load
 * generator on the first core, every server on the last. Unpinned, which engine shares a core with the
 * load generator is up to the scheduler, and on a 2-core machine that alone moved a round's ratio by
 * +-10%; pinned, both servers see the same core and the same neighbours.
 */
const pin = (() => {
  if (process.argv.includes("--no-pin") || cpus().length < 2) return null;
  const self = spawnSync("taskset", ["-cp", "0", String(process.pid)], { stdio: "ignore" });
  return self.status === 0 ? { serverCpu: cpus().length - 1 } : null;
})();

// ---- byte counting on the official SDK ----------------------------------------------------------

/** Raw bytes received, per engine: each room is mapped to its engine's counter when it joins. */
const byteCounters = new WeakMap<object, { n: number }>();
{
  // Room.connect binds `this.onMessageCallback` when it opens the socket, so the prototype hook sees
  // every raw WebSocket message of every room.
  const proto = Room.prototype as unknown as { onMessageCallback(event: MessageEvent): void };
  const original = proto.onMessageCallback;
  proto.onMessageCallback = function (this: unknown, event: MessageEvent) {
    const data = event.data as ArrayBuffer | string;
    const counter = byteCounters.get(this as object);
    if (counter) counter.n += typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    return original.call(this, event);
  };
}

// ---- helpers ------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pool<T, R>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

interface ServerStats {
  nowMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  ticks: { count: number; p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
  simSteps: { count: number; p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
  work: { bulletsPerRoom: number; playersPerRoom: number };
  threads: { main: number; other: number } | null;
  rooms: number;
  ccu: number;
  rssMb: number;
}

interface BenchServer {
  child: ChildProcess;
  url: string;
  stats(reset?: boolean): Promise<ServerStats>;
  stop(): Promise<void>;
}

async function startServer(engine: Engine): Promise<BenchServer> {
  const [port, statsPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), "rally-bench-"));
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  // --expose-gc: each server runs one full GC before its window (see settleHeap in bench/rooms/server.ts)
  const serverArgs = ["--expose-gc", ...nodeArgs, "--import", "tsx", join(repoRoot, "bench/rooms/server.ts")];
  const env = {
    ...process.env,
    BENCH_ENGINE: engine,
    PORT: String(port),
    HOST: "127.0.0.1",
    BENCH_STATS_PORT: String(statsPort),
    DATA_DIR: dataDir,
    JWT_SECRET: "bench-rooms-secret-0123456789-abcdefghijklmnop",
    LOG_LEVEL: "warn",
    SERVE_DEMO: "false",
    // one load generator address issues every guest login
    AUTH_RATE_PER_MIN: "1000000",
    REDIS_URL: "",
  };
  const child = pin
    ? spawn("taskset", ["-c", String(pin.serverCpu), process.execPath, ...serverArgs], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(process.execPath, serverArgs, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (process.env.BENCH_SERVER_OUT) appendFileSync(`${process.env.BENCH_SERVER_OUT}.${engine}.${child.pid}`, d);
      for (const line of d.toString().split("\n").filter(Boolean)) {
        output.push(line);
        if (line.startsWith('{"bench":"ready"')) resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`${engine} bench server exited with ${code}:\n${output.slice(-30).join("\n")}`)));
    setTimeout(() => reject(new Error(`${engine} bench server not ready after 30 s:\n${output.slice(-30).join("\n")}`)), 30_000).unref();
  });
  try {
    await ready;
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    async stats(reset = false) {
      const res = await fetch(`http://127.0.0.1:${statsPort}/stats${reset ? "?reset=1" : ""}`);
      return res.json() as Promise<ServerStats>;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function guestToken(baseUrl: string, i: number): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/auth/guest`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ deviceId: `bench-rooms-${process.pid}-${i}` }),
  });
  if (res.status !== 200) throw new Error(`guest login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

// ---- one engine ---------------------------------------------------------------------------------

interface Figures {
  ccu: number;
  tickP50Ms: number;
  tickP99Ms: number;
  bytesPerClientPerSec: number;
  cpuMsPerClientPerSec: number;
}

interface EngineResult extends Figures {
  rooms: number;
  /** CCU as the server counts it (cross-check of `ccu`). */
  serverCcu: number;
  joinErrors: number;
  inputsSent: number;
  tickCount: number;
  tickMaxMs: number;
  /** ArenaSimulation.step alone (same code in both engines): tick minus this is the engine's per-tick overhead. */
  simStepP50Ms: number;
  simStepP99Ms: number;
  /** What the game did, averaged over every step of every room: equal figures mean equal work. */
  bulletsPerRoom: number;
  playersPerRoom: number;
  serverCpuPct: number;
  /** Server CPU split (Linux): the JavaScript thread vs V8's GC and compiler threads (0 where unknown). */
  mainThreadCpuMsPerSec: number;
  otherThreadsCpuMsPerSec: number;
  serverRssMb: number;
  loadgenCpuPct: number;
  /** 1-minute load average at the end of the window: other work on the machine skews every figure. */
  loadAvg1: number;
  windowS: number;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/** One engine's server and clients, from connect to the end of a measured window. */
interface Load {
  engine: Engine;
  /** Resolves once every client sees the match playing. */
  playing: Promise<unknown>;
  /** Start of the measured window: server stats reset, counters noted. */
  begin(): Promise<void>;
  /** End of the measured window: the engine's figures. */
  end(): Promise<EngineResult>;
  stop(): Promise<void>;
}

async function startLoad(engine: Engine): Promise<Load> {
  log(`${engine}: starting server`);
  const server = await startServer(engine);
  const rooms: Room[] = [];
  const connected = new Set<Room>();
  const timers: NodeJS.Timeout[] = [];
  const bytes = { n: 0 };
  let joinErrors = 0;
  let inputsSent = 0;
  const stop = async () => {
    for (const t of timers) { clearTimeout(t); clearInterval(t); }
    await Promise.race([Promise.allSettled(rooms.filter((r) => connected.has(r)).map((r) => r.leave(true))), sleep(3000)]);
    await server.stop();
  };
  try {
    // BENCH_RALLY_ROOM=arena_bare (diagnostic, with BENCH_BARE_IN_RALLY=1): the bare room on the Rally node
    const roomName = engine === "rally" ? process.env.BENCH_RALLY_ROOM || "arena" : "arena_bare";
    const tokens = engine === "rally" ? await pool(Array.from({ length: clients }, (_, i) => i), 8, (i) => guestToken(server.url, i)) : [];
    const makeClient = (i: number) => {
      const client = new Client(server.url);
      if (tokens[i]) client.auth.token = tokens[i];
      return client;
    };
    const track = (room: Room) => {
      room.reconnection.enabled = false;
      byteCounters.set(room, bytes);
      rooms.push(room);
      connected.add(room);
      room.onLeave(() => connected.delete(room));
      room.onDrop(() => connected.delete(room));
      room.onError(() => connected.delete(room));
      room.onMessage("*", () => undefined); // draining/result/error messages: counted, not handled
      return room;
    };

    // rooms of `roomSize`: the first client creates, the others join by id
    const groups: number[][] = [];
    for (let i = 0; i < clients; i += roomSize) groups.push(Array.from({ length: Math.min(roomSize, clients - i) }, (_, k) => i + k));
    const t0 = performance.now();
    await pool(groups, 4, async (group) => {
      const first = track(await makeClient(group[0]).create(roomName, roomName === "arena" ? {} : { roomSize }));
      await Promise.all(group.slice(1).map(async (i) => {
        try {
          track(await makeClient(i).joinById(first.roomId));
        } catch (e) {
          joinErrors++;
          log(`${engine}: join failed: ${(e as Error).message}`);
        }
      }));
    });
    log(`${engine}: ${connected.size}/${clients} clients in ${groups.length} rooms after ${Math.round(performance.now() - t0)} ms`);

    // inputs at `inputHz` per client, each client on its own phase
    const periodMs = 1000 / inputHz;
    for (const room of rooms) {
      let seq = 0;
      const send = () => {
        if (!connected.has(room)) return;
        room.send("input", {
          seq: ++seq,
          x: Math.random() * 2 - 1,
          y: Math.random() * 2 - 1,
          aim: Math.random() * 2 * Math.PI - Math.PI,
          fire: Math.random() < 0.5,
        });
        inputsSent++;
      };
      timers.push(setTimeout(() => timers.push(setInterval(send, periodMs)), Math.random() * periodMs));
    }
  } catch (e) {
    await stop();
    throw e;
  }

  // Rally's open arena starts a few seconds after its second player: wait until every client plays
  const playing = until(`${engine}: every client to see phase "playing"`, () => rooms.every((r) => !connected.has(r) || (r.state as { phase?: string })?.phase === "playing"), 20_000);
  let before: ServerStats;
  let bytes0 = 0, inputs0 = 0, wall0 = 0;
  return {
    engine,
    playing,
    stop,
    async begin() {
      before = await server.stats(true);
      bytes0 = bytes.n;
      inputs0 = inputsSent;
      wall0 = performance.now();
    },
    async end() {
      const after = await server.stats(false);
      const windowS = (performance.now() - wall0) / 1000;
      const serverWindowS = (after.nowMs - before.nowMs) / 1000;
      const ccu = connected.size;
      const cpuMs = (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / 1000;
      const result: EngineResult = {
        ccu,
        tickP50Ms: round(after.ticks.p50Ms, 4),
        tickP99Ms: round(after.ticks.p99Ms, 4),
        bytesPerClientPerSec: round((bytes.n - bytes0) / Math.max(1, ccu) / windowS, 1),
        cpuMsPerClientPerSec: round(cpuMs / serverWindowS / Math.max(1, ccu), 4),
        rooms: after.rooms,
        serverCcu: after.ccu,
        joinErrors,
        inputsSent: inputsSent - inputs0,
        tickCount: after.ticks.count,
        tickMaxMs: round(after.ticks.maxMs, 3),
        simStepP50Ms: round(after.simSteps.p50Ms, 4),
        simStepP99Ms: round(after.simSteps.p99Ms, 4),
        bulletsPerRoom: round(after.work.bulletsPerRoom, 2),
        playersPerRoom: round(after.work.playersPerRoom, 2),
        serverCpuPct: round((cpuMs / 1000 / serverWindowS) * 100, 1),
        mainThreadCpuMsPerSec: after.threads && before.threads ? round((after.threads.main - before.threads.main) / serverWindowS, 1) : 0,
        otherThreadsCpuMsPerSec: after.threads && before.threads ? round((after.threads.other - before.threads.other) / serverWindowS, 1) : 0,
        serverRssMb: after.rssMb,
        loadgenCpuPct: 0,
        loadAvg1: round(loadavg()[0], 2),
        windowS: round(windowS, 2),
      };
      return result;
    },
  };
}

/**
 * One round: the engines listed run at the same time (side by side, so drift in machine speed hits
 * them alike) or, with one engine, alone. Clients of each engine connect in the order given.
 */
async function runRound(engines: Engine[]): Promise<EngineResult[]> {
  const loads: Load[] = [];
  try {
    for (const engine of engines) loads.push(await startLoad(engine));
    await Promise.all(loads.map((l) => l.playing));
    await sleep(warmup * 1000);
    const loadCpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await Promise.all(loads.map((l) => l.begin()));
    await sleep(seconds * 1000);
    const results = await Promise.all(loads.map((l) => l.end()));
    const loadCpu = process.cpuUsage(loadCpu0);
    const loadgenCpuPct = round(((loadCpu.user + loadCpu.system) / 1e6 / ((performance.now() - wall0) / 1000)) * 100, 1);
    results.forEach((r, i) => {
      r.loadgenCpuPct = loadgenCpuPct;
      log(`${engines[i]}: ${JSON.stringify(r)}`);
    });
    return results;
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
  }
}

// ---- main ---------------------------------------------------------------------------------------

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function merge(results: EngineResult[]): EngineResult {
  if (results.length === 1) return results[0];
  const out = {} as Record<keyof EngineResult, number>;
  for (const key of Object.keys(results[0]) as (keyof EngineResult)[]) {
    const values = results.map((r) => r[key]);
    // the worst round for counts, the median for measurements (one round hit by a load spike from
    // other work on the machine moves a mean, not a median)
    out[key] = key === "ccu" || key === "serverCcu" ? Math.min(...values) : key === "joinErrors" ? Math.max(...values) : round(median(values), 4);
  }
  return out as EngineResult;
}

const div = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : 0) : round(a / b, 3));
/** Oriented so >= 0.95 means Rally adds no cost: ccu is rally/bare, every other figure bare/rally. */
function ratioOf(rally: Figures, bare: Figures): Figures {
  return {
    ccu: div(rally.ccu, bare.ccu),
    tickP50Ms: div(bare.tickP50Ms, rally.tickP50Ms),
    tickP99Ms: div(bare.tickP99Ms, rally.tickP99Ms),
    bytesPerClientPerSec: div(bare.bytesPerClientPerSec, rally.bytesPerClientPerSec),
    cpuMsPerClientPerSec: div(bare.cpuMsPerClientPerSec, rally.cpuMsPerClientPerSec),
  };
}

const byEngine: Record<Engine, EngineResult[]> = { rally: [], bare: [] };
const roundRatios: Figures[] = [];
const rounds: Array<{ engines: string; engine: Engine; cpuMsPerClientPerSec: number; tickP50Ms: number; simStepP50Ms: number; loadAvg1: number }> = [];
const loadAvgStart = loadavg().map((n) => round(n, 2));
log(`clients=${clients} roomSize=${roomSize} seconds=${seconds} warmup=${warmup} inputHz=${inputHz} order=${order.map((r) => r.join("+")).join(",")} loadavg=${loadAvgStart.join(" ")}`);
for (const engines of order) {
  const results = await runRound(engines);
  const of: Partial<Record<Engine, EngineResult>> = {};
  results.forEach((r, i) => {
    of[engines[i]] = r;
    byEngine[engines[i]].push(r);
    rounds.push({ engines: engines.join("+"), engine: engines[i], cpuMsPerClientPerSec: r.cpuMsPerClientPerSec, tickP50Ms: r.tickP50Ms, simStepP50Ms: r.simStepP50Ms, loadAvg1: r.loadAvg1 });
  });
  if (of.rally && of.bare) roundRatios.push(ratioOf(of.rally, of.bare));
}
const rally = merge(byEngine.rally);
const bare = merge(byEngine.bare);
// Side by side, each round is a paired measurement under the same machine conditions: the ratio is
// the median of the rounds' own ratios. One engine at a time: the ratio of the engines' medians.
const paired = roundRatios.length === order.length;
const ratio: Figures = paired
  ? Object.fromEntries((Object.keys(roundRatios[0]) as (keyof Figures)[]).map((k) => [k, round(median(roundRatios.map((r) => r[k])), 3)])) as unknown as Figures
  : ratioOf(rally, bare);
console.log(JSON.stringify({
  bench: "rooms", clients, roomSize, seconds, warmup, inputHz, order: order.map((r) => r.join("+")), node: process.version,
  cpus: cpus().length, loadAvgStart, loadAvgEnd: loadavg().map((n) => round(n, 2)),
  aggregate: paired ? "engines side by side in every round: ratio = median of the rounds' ratios; figures = median per engine (ccu: worst round)" : "median per engine over its rounds (ccu: worst round); ratio of the medians",
  rally, bare, ratio, roundRatios, rounds,
  ratioMeaning: ">= 0.95 means Rally adds no cost: ccu is rally/bare, every other figure bare/rally",
}));
process.exit(0);
