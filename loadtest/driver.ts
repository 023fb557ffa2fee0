/**
 * The coordinator side of the load: forks the worker processes, tells each how many players to run,
 * and gathers their reports into one event log and a per-second time series. `runLoad` (run.ts) and
 * the chaos faults (chaos.ts) both drive it.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { repoRoot } from "./cluster.ts";
import type { DoubleSeatEvent, PlayerConfig, SeatEvent, ToWorker, UnseatEvent, WorkerReport } from "./protocol.ts";
import { addCounts, distribution, type Distribution } from "./stats.ts";

const workerPath = fileURLToPath(new URL("./worker.ts", import.meta.url));

/** One second of the run, as the chart shows it. */
export interface SecondPoint {
  t: number;
  active: number;
  queued: number;
  playing: number;
  seats: number;
  waitMs: number[];
  rtts: number[];
}

/** What the players saw over a run: the seat and latency figures both reports carry. */
export interface SeatFigures {
  /** Match seats taken (one player seated in N matches counts N). */
  seated: number;
  queueToSeatMs: Distribution;
  /** WebSocket ping round trips from players in a match. */
  messageRttMs: Distribution;
  errors: Record<string, number>;
  unseated: number;
  doubleSeated: number;
  requeues: number;
}

export class LoadDriver {
  private readonly workers: ChildProcess[] = [];
  private readonly latest = new Map<number, WorkerReport>();
  private readonly finals = new Set<number>();
  readonly startedAt = Date.now();
  readonly seats: SeatEvent[] = [];
  readonly unseats: UnseatEvent[] = [];
  readonly doubleSeats: DoubleSeatEvent[] = [];
  readonly rtts: number[] = [];
  readonly errors: Record<string, number> = {};
  requeues = 0;

  figures(): SeatFigures {
    return {
      seated: this.seats.length,
      queueToSeatMs: distribution(this.seats.map((x) => x.waitMs)),
      messageRttMs: distribution(this.rtts),
      errors: this.errors,
      unseated: this.unseats.length,
      doubleSeated: this.doubleSeats.length,
      requeues: this.requeues,
    };
  }
  /** CPU used by all workers (ms), for the load generator's own load. */
  workerCpuMs = 0;
  /** Keyed by second since start. */
  readonly series = new Map<number, SecondPoint>();
  private wanted = 0;

  constructor(private targets: string[], private readonly config: PlayerConfig, private readonly workerCount: number) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.workerCount; i++) {
      const child = fork(workerPath, [], { cwd: repoRoot, execArgv: ["--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
      child.stdout!.pipe(process.stderr); // stdout carries only the final JSON line
      child.on("message", (m: unknown) => this.onReport(m as WorkerReport));
      this.workers.push(child);
      this.send(child, { type: "init", worker: i, targets: this.targets, config: this.config });
    }
  }

  private send(child: ChildProcess, m: ToWorker): void {
    if (child.connected) child.send(m);
  }

  private onReport(r: WorkerReport): void {
    this.latest.set(r.worker, r);
    if (r.final) this.finals.add(r.worker);
    this.seats.push(...r.seats);
    this.unseats.push(...r.unseats);
    this.doubleSeats.push(...r.doubleSeats);
    for (const x of r.rtts) this.rtts.push(x);
    addCounts(this.errors, r.errors);
    this.requeues += r.requeues;
    this.workerCpuMs += r.cpuMs;
    const t = Math.floor((r.at - this.startedAt) / 1000);
    const point = this.series.get(t) ?? { t, active: 0, queued: 0, playing: 0, seats: 0, waitMs: [], rtts: [] };
    point.seats += r.seats.length;
    point.waitMs.push(...r.seats.map((s) => s.waitMs));
    point.rtts.push(...r.rtts);
    this.series.set(t, point);
    this.refreshCounts(point);
  }

  /** The point's counts are the latest report of every worker. */
  private refreshCounts(point: SecondPoint): void {
    let active = 0, queued = 0, playing = 0;
    for (const r of this.latest.values()) { active += r.active; queued += r.queued; playing += r.playing; }
    point.active = active; point.queued = queued; point.playing = playing;
  }

  /** Run `count` players in total, split over the workers. */
  setPlayers(count: number): void {
    if (count === this.wanted) return;
    this.wanted = count;
    this.workers.forEach((w, i) => {
      const share = Math.floor(count / this.workers.length) + (i < count % this.workers.length ? 1 : 0);
      this.send(w, { type: "players", count: share });
    });
  }

  get players(): number { return this.wanted; }

  setTargets(targets: string[]): void {
    this.targets = targets;
    for (const w of this.workers) this.send(w, { type: "targets", targets });
  }

  /** Totals of the latest reports. */
  now(): { active: number; queued: number; playing: number } {
    let active = 0, queued = 0, playing = 0;
    for (const r of this.latest.values()) { active += r.active; queued += r.queued; playing += r.playing; }
    return { active, queued, playing };
  }

  /** Everyone waiting in a queue right now: player -> wait start (ms epoch) and the node queued through. */
  waiting(): Map<string, { since: number; node: string }> {
    const out = new Map<string, { since: number; node: string }>();
    for (const r of this.latest.values()) for (const [p, w] of Object.entries(r.waiting)) out.set(p, w);
    return out;
  }

  /** Stops every player (they leave their rooms) and the workers; resolves once all have reported a last time. */
  async stop(timeoutMs = 20_000): Promise<void> {
    for (const w of this.workers) this.send(w, { type: "stop" });
    const deadline = Date.now() + timeoutMs;
    while (this.finals.size < this.workers.length && Date.now() < deadline && this.workers.some((w) => w.exitCode === null)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const w of this.workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
  }
}
