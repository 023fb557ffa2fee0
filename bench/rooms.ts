/**
 * `npm run bench:rooms [-- --clients 64 --roomSize 8 --seconds 15 --warmup 3 --order rally,bare,bare,rally,rally,bare]`
 *
 * Rally's `arena` (real node, real guest tokens, MatchRoom layer) against a bare Colyseus room running
 * the same ArenaSimulation/ArenaState at the same tick and patch rate with per-client StateViews,
 * under identical load, one engine after the other, each in its own server child process
 * (bench/rooms/server.ts). This process is only the load generator: N official @colyseus/sdk clients,
 * `roomSize` per room (first one `create`s, the rest `joinById`), each sending a random
 * stick/aim/fire `input` at 20 Hz.
 *
 * Per engine, over the measured window (after every client sees the match playing, plus warm-up):
 *   ccu                    clients still connected at the end
 *   tickP50Ms / tickP99Ms  duration of the fixed-step callback on the server
 *   bytesPerClientPerSec   raw WebSocket message bytes received by the clients
 *   cpuMsPerClientPerSec   server process CPU (user+system) ms per second per connected client
 * The last line of output is one JSON object; `ratio` is oriented so >= 0.95 means Rally adds no cost
 * (ccu: rally/bare; every other figure: bare/rally). Each engine's figures are the median of its
 * rounds (the default order alternates three rounds each, ABBAAB, so slow drift in machine load hits
 * both engines alike); `rounds` lists every round with the 1-minute load average at its end, and
 * `loadAvgStart`/`loadAvgEnd` bracket the run: other work on the machine moves every figure.
 * BENCH_CPU_PROF=<dir> writes a CPU profile of each server's measured window (bench/rooms/server.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, Room } from "@colyseus/sdk";

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
function orderFlag(): Engine[] {
  const eq = process.argv.find((a) => a.startsWith("--order="));
  const i = process.argv.indexOf("--order");
  const raw = eq ? eq.split("=")[1] : i >= 0 ? process.argv[i + 1] : "rally,bare,bare,rally,rally,bare";
  const order = raw.split(",").map((s) => s.trim());
  if (order.length === 0 || order.some((e) => e !== "rally" && e !== "bare") || !order.includes("rally") || !order.includes("bare")) {
    throw new Error(`--order must list rally and bare, e.g. rally,bare or bare,rally,rally,bare (got ${raw})`);
  }
  return order as Engine[];
}

const clients = Math.floor(flag("clients", 64));
const roomSize = Math.floor(flag("roomSize", 8));
const seconds = flag("seconds", 15);
const warmup = flag("warmup", 3);
const inputHz = flag("inputHz", 20);
const order = orderFlag();
if (roomSize < 2 || roomSize > 16) throw new Error("--roomSize must be 2..16 (arena seats 16)");
if (clients < roomSize) throw new Error("--clients must be at least --roomSize");

const log = (msg: string) => console.log(`[bench:rooms] ${msg}`);

// ---- byte counting on the official SDK ----------------------------------------------------------

let bytesReceived = 0;
{
  // Room.connect binds `this.onMessageCallback` when it opens the socket, so the prototype hook sees
  // every raw WebSocket message of every room.
  const proto = Room.prototype as unknown as { onMessageCallback(event: MessageEvent): void };
  const original = proto.onMessageCallback;
  proto.onMessageCallback = function (this: unknown, event: MessageEvent) {
    const data = event.data as ArrayBuffer | string;
    bytesReceived += typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    return original.call(this, event);
  };
}

// ---- helpers ------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

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
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "bench/rooms/server.ts")], {
    cwd: repoRoot,
    env: {
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
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
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
  serverCpuPct: number;
  serverRssMb: number;
  loadgenCpuPct: number;
  /** 1-minute load average at the end of the window: other work on the machine skews every figure. */
  loadAvg1: number;
  windowS: number;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

async function runEngine(engine: Engine): Promise<EngineResult> {
  log(`${engine}: starting server`);
  const server = await startServer(engine);
  const rooms: Room[] = [];
  const connected = new Set<Room>();
  const timers: NodeJS.Timeout[] = [];
  let joinErrors = 0;
  let inputsSent = 0;
  try {
    const roomName = engine === "rally" ? "arena" : "arena_bare";
    const tokens = engine === "rally" ? await pool(Array.from({ length: clients }, (_, i) => i), 8, (i) => guestToken(server.url, i)) : [];
    const makeClient = (i: number) => {
      const client = new Client(server.url);
      if (tokens[i]) client.auth.token = tokens[i];
      return client;
    };
    const track = (room: Room) => {
      room.reconnection.enabled = false;
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
      const first = track(await makeClient(group[0]).create(roomName, engine === "rally" ? {} : { roomSize }));
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

    // Rally's open arena starts a few seconds after its second player: wait until every client plays
    await until(`${engine}: every client to see phase "playing"`, () => rooms.every((r) => !connected.has(r) || (r.state as { phase?: string })?.phase === "playing"), 20_000);
    await sleep(warmup * 1000);

    const before = await server.stats(true);
    const bytes0 = bytesReceived;
    const inputs0 = inputsSent;
    const loadCpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await sleep(seconds * 1000);
    const after = await server.stats(false);
    const windowS = (performance.now() - wall0) / 1000;
    const serverWindowS = (after.nowMs - before.nowMs) / 1000;
    const bytes = bytesReceived - bytes0;
    const loadCpu = process.cpuUsage(loadCpu0);
    const ccu = connected.size;
    const cpuMs = (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / 1000;

    const result: EngineResult = {
      ccu,
      tickP50Ms: round(after.ticks.p50Ms, 4),
      tickP99Ms: round(after.ticks.p99Ms, 4),
      bytesPerClientPerSec: round(bytes / Math.max(1, ccu) / windowS, 1),
      cpuMsPerClientPerSec: round(cpuMs / serverWindowS / Math.max(1, ccu), 4),
      rooms: after.rooms,
      serverCcu: after.ccu,
      joinErrors,
      inputsSent: inputsSent - inputs0,
      tickCount: after.ticks.count,
      tickMaxMs: round(after.ticks.maxMs, 3),
      simStepP50Ms: round(after.simSteps.p50Ms, 4),
      simStepP99Ms: round(after.simSteps.p99Ms, 4),
      serverCpuPct: round((cpuMs / 1000 / serverWindowS) * 100, 1),
      serverRssMb: after.rssMb,
      loadgenCpuPct: round(((loadCpu.user + loadCpu.system) / 1e6 / windowS) * 100, 1),
      loadAvg1: round(loadavg()[0], 2),
      windowS: round(windowS, 2),
    };
    log(`${engine}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const t of timers) { clearTimeout(t); clearInterval(t); }
    await Promise.race([Promise.allSettled(rooms.filter((r) => connected.has(r)).map((r) => r.leave(true))), sleep(3000)]);
    await server.stop();
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

const byEngine: Record<Engine, EngineResult[]> = { rally: [], bare: [] };
const rounds: Array<{ engine: Engine; cpuMsPerClientPerSec: number; tickP50Ms: number; loadAvg1: number }> = [];
const loadAvgStart = loadavg().map((n) => round(n, 2));
log(`clients=${clients} roomSize=${roomSize} seconds=${seconds} warmup=${warmup} inputHz=${inputHz} order=${order.join(",")} loadavg=${loadAvgStart.join(" ")}`);
for (const engine of order) {
  const r = await runEngine(engine);
  byEngine[engine].push(r);
  rounds.push({ engine, cpuMsPerClientPerSec: r.cpuMsPerClientPerSec, tickP50Ms: r.tickP50Ms, loadAvg1: r.loadAvg1 });
}
const rally = merge(byEngine.rally);
const bare = merge(byEngine.bare);
const div = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : 0) : round(a / b, 3));
const ratio = {
  ccu: div(rally.ccu, bare.ccu),
  tickP50Ms: div(bare.tickP50Ms, rally.tickP50Ms),
  tickP99Ms: div(bare.tickP99Ms, rally.tickP99Ms),
  bytesPerClientPerSec: div(bare.bytesPerClientPerSec, rally.bytesPerClientPerSec),
  cpuMsPerClientPerSec: div(bare.cpuMsPerClientPerSec, rally.cpuMsPerClientPerSec),
};
console.log(JSON.stringify({
  bench: "rooms", clients, roomSize, seconds, warmup, inputHz, order, node: process.version,
  cpus: cpus().length, loadAvgStart, loadAvgEnd: loadavg().map((n) => round(n, 2)),
  aggregate: "median per engine over its rounds (ccu: worst round)",
  rally, bare, ratio, rounds,
  ratioMeaning: ">= 0.95 means Rally adds no cost: ccu is rally/bare, every other figure bare/rally",
}));
process.exit(0);
