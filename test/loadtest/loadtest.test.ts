/**
 * `npm run loadtest` for real: the CLI starts its own 2-node cluster (private redis-server, shared
 * SQLite), official-SDK players in a worker process authenticate, queue, confirm their seats and play
 * the arena; stdout carries exactly one JSON summary line, stderr the progress lines, and the PNG
 * chart is written. Also the flag validation (zod) and the schedule, as pure functions.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { distribution, parseArgs, parseMetrics, targetAt } from "../../loadtest/index.ts";
import { repoRoot, tempDir } from "../support/processes.ts";

interface Summary {
  players: { peak: number };
  seated: number;
  queueToSeatMs: { n: number; p50: number | null; p99: number | null };
  messageRttMs: { n: number; p50: number | null };
  errors: Record<string, number>;
  unseated: number;
  nodes: Array<{ node: string; cpuAvgPct: number | null; rssMbMax: number | null; failedReads: number }>;
  chart: string | null;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "loadtest/cli.ts"), ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("loadtest", function () {
  this.timeout(120_000);

  it("flags are validated with one clear line; the schedule ramps, holds and spikes", () => {
    assert.throws(() => parseArgs(["--players", "10"]), /--targets: give --targets/);
    assert.throws(() => parseArgs(["--cluster", "2", "--players", "-3"]), /--players: /);
    assert.throws(() => parseArgs(["--cluster", "2", "--bogus", "1"]), /bogus/);
    assert.throws(() => parseArgs(["--targets", "ftp://x"]), /--targets: /);
    const o = parseArgs(["--targets", "http://a:1,http://b:2", "--players", "100", "--ramp-s", "10", "--steady-s", "10", "--spike-players", "300", "--spike-s", "5", "--recover-s", "5"]);
    assert.deepEqual(o.targets, ["http://a:1", "http://b:2"]);
    assert.equal(targetAt(o, 5).players, 50);
    assert.deepEqual(targetAt(o, 12), { players: 100, phase: "steady" });
    assert.deepEqual(targetAt(o, 22), { players: 300, phase: "spike" });
    assert.deepEqual(targetAt(o, 27), { players: 100, phase: "recover" });
    assert.deepEqual(targetAt(o, 31), { players: 0, phase: null });
  });

  it("reads CPU, RSS, arena rooms and matcher leadership from a /metrics page; percentiles by nearest rank", () => {
    const page = [
      "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
      "process_cpu_seconds_total 12.5",
      "process_resident_memory_bytes 183500800",
      'rally_rooms{room="arena"} 7',
      'rally_rooms{room="queue"} 1',
      'rally_clients{room="arena"} 28',
      'rally_clients{room="queue"} 3',
      'rally_mm_leader{mode="arena",shard="default"} 1',
      'rally_mm_leader{mode="5v5",shard="default"} 0',
    ].join("\n");
    const r = parseMetrics(page, 1000);
    assert.deepEqual(r, { at: 1000, cpuSeconds: 12.5, rssBytes: 183500800, arenaRooms: 7, clients: 31, leaderModes: ["arena"] });
    assert.deepEqual(distribution([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]), { n: 10, p50: 5, p90: 9, p99: 10, max: 10 });
    assert.deepEqual(distribution([]), { n: 0, p50: null, p90: null, p99: null, max: null });
  });

  it("drives real players against its own cluster: one JSON line, progress on stderr, a PNG chart", async () => {
    const dir = tempDir("rally-loadtest-");
    try {
      const chart = join(dir, "chart.png");
      const r = await run(["--cluster", "2", "--players", "8", "--workers", "1", "--ramp-s", "2", "--steady-s", "16", "--play-s", "6", "--progress-every-s", "3", "--chart", chart]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines.length, 1, `one line on stdout, got:\n${r.stdout}`);
      const s = JSON.parse(lines[0]!) as Summary;
      assert.match(r.stderr, /\[loadtest\] \d+\/18s (ramp|steady) want=8 running=\d+ queued=\d+ playing=\d+ seated=\d+/);
      assert.equal(s.players.peak, 8);
      assert.ok(s.seated >= 8, `every player seated at least once (${s.seated} seats)`);
      assert.equal(s.queueToSeatMs.n, s.seated);
      assert.ok(s.queueToSeatMs.p50 !== null && s.queueToSeatMs.p99! >= s.queueToSeatMs.p50, "queue-to-seat percentiles");
      assert.ok(s.messageRttMs.n > 0 && s.messageRttMs.p50 !== null, "ping round trips measured");
      assert.equal(s.unseated, 0);
      assert.equal(s.nodes.length, 2);
      for (const n of s.nodes) {
        assert.ok(n.cpuAvgPct !== null && n.rssMbMax !== null && n.rssMbMax > 10, `CPU and RSS from ${n.node}/metrics (METRICS_TOKEN)`);
        assert.equal(n.failedReads, 0);
      }
      assert.equal(s.chart, chart);
      assert.deepEqual([...readFileSync(chart).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG file");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a bad flag exits 2 with one line on stderr and nothing on stdout", async () => {
    const r = await run(["--cluster", "0"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^loadtest: --cluster: .+\n$/);
  });
});
