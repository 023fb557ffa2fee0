/**
 * `npm start` and `npm run cluster` as an operator runs them: the npm process is what gets the signal
 * (a terminal, systemd, a container runtime). Nothing may be left running after it, and a node that
 * cannot bind its port says so in one line and exits non-zero instead of hanging.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { freePort, repoRoot, tempDir } from "../../support/processes.ts";
import { until } from "../../support/wait.ts";

interface NpmRun { child: ChildProcess; output: string[]; exited: Promise<number | null> }

function npm(args: string[], env: Record<string, string>): NpmRun {
  const output: string[] = [];
  // Its own process group, as a shell job would be, so the group can be checked for leftovers.
  const child = spawn("npm", args, { cwd: repoRoot, env: { ...process.env, SERVE_DEMO: "false", LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout!.on("data", (d: Buffer) => output.push(...d.toString().split("\n").filter(Boolean)));
  child.stderr!.on("data", (d: Buffer) => output.push(...d.toString().split("\n").filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output, exited };
}

/** Pids still alive in a process group (ps is procps, always on Debian). */
function groupMembers(pgid: number): number[] {
  const ps = spawnSync("ps", ["-o", "pid=", "-g", String(pgid)], { encoding: "utf8" });
  return ps.stdout.split("\n").map((l) => Number(l.trim())).filter((n) => n > 0);
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe("npm start / npm run cluster as processes", function () {
  this.timeout(180_000);
  const started: ChildProcess[] = [];
  after(() => {
    for (const c of started) if (c.pid && c.exitCode === null) { try { process.kill(-c.pid, "SIGKILL"); } catch { /* gone */ } }
  });

  it("npm start on a busy port exits 1 with one line naming the address", async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", r));
    try {
      const run = npm(["start", "--silent"], { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: tempDir() });
      started.push(run.child);
      const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r("hung"), 60_000))]);
      assert.equal(code, 1, run.output.join("\n"));
      const lines = run.output.filter((l) => l.includes(String(port)));
      assert.deepEqual(lines, [`Cannot listen on 127.0.0.1:${port}: the address is already in use. Set PORT (or HOST) to a free address.`], run.output.join("\n"));
    } finally {
      blocker.close();
    }
  });

  it("SIGTERM to the npm start process stops the node: nothing is left running", async () => {
    const port = await freePort();
    const run = npm(["start", "--silent"], { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: tempDir() });
    started.push(run.child);
    await until("the node behind npm start is ready", async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 90_000, 200);
    assert.ok(groupMembers(run.child.pid!).length >= 2, "npm and the node run in one group");
    process.kill(run.child.pid!, "SIGTERM");
    await run.exited;
    await until("every process of npm start has exited", () => groupMembers(run.child.pid!).length === 0, 30_000, 200);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });

  it("SIGTERM to the npm run cluster process stops the manager and the nodes it started", async () => {
    const stateDir = tempDir();
    const poolPort = await freePort();
    const run = npm(["run", "cluster", "--silent"], {
      POOL_REGIONS: "eu", POOL_MIN_NODES: "1", POOL_MAX_NODES: "1", POOL_PORT: String(poolPort), POOL_STATE_DIR: stateDir,
      POOL_TICK_MS: "500", DRAIN_TIMEOUT_S: "5", SHUTDOWN_GRACE_S: "2", HOST: "127.0.0.1",
    });
    started.push(run.child);
    const nodePids = await until("the pool started a node", () => {
      try {
        const nodes = JSON.parse(readFileSync(join(stateDir, "nodes.json"), "utf8")) as Array<{ pid: number; port: number }>;
        return nodes.length > 0 ? nodes : null;
      } catch { return null; }
    }, 90_000, 200);
    await until("the pool's node is ready", async () => (await fetch(`http://127.0.0.1:${nodePids[0].port}/readyz`)).status === 200, 90_000, 200);
    process.kill(run.child.pid!, "SIGTERM");
    await run.exited;
    await until("the manager and its private Redis have exited", () => groupMembers(run.child.pid!).length === 0, 60_000, 200);
    await until("the pool's nodes have exited", () => nodePids.every((n) => !alive(n.pid)), 60_000, 200);
  });
});
