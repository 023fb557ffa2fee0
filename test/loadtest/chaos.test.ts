/**
 * `npm run chaos`, short: three real nodes, a private redis-server and a private PostgreSQL under
 * load-tool players; every scripted fault runs and the JSON report carries a verdict and figures for
 * each. The faults the cluster already survives must pass: matcher leader SIGKILL, Redis restart,
 * SIGTERM drain, database stop, and SIGKILL of a match host (the dead-node reaper releases its players
 * and removes its keys).
 */
import assert from "node:assert/strict";
import { FAULTS, chaosOptionsSchema, runChaos, type ChaosReport } from "../../loadtest/index.ts";

describe("chaos (short run)", function () {
  this.timeout(180_000);
  let report: ChaosReport;

  const lines: string[] = [];
  after(function () {
    if (!report) console.error(lines.slice(-40).join("\n"));
  });

  before(async function () {
    const options = chaosOptionsSchema.parse({
      store: "postgres", players: 24, workers: 1, playS: 6, warmupS: 2, settleS: 1,
      // the 10 s recovery goal of a killed match host is a figure of `npm run chaos` (README "Measured"),
      // not a pass condition of this short run on a shared 2-core box: here every player it touched
      // must be seated again within the 15 s window, nothing lost, nothing left
      recoverTimeoutS: 15, recoverGoalS: 15, drainTimeoutS: 20, keysSettleS: 2,
      quietLeaderWaitS: 15,
      faults: ["leader-kill", "redis-restart", "drain", "db-stop", "match-host-kill"],
    });
    report = await runChaos(options, (l) => lines.push(l));
  });

  it("produces one report with a verdict and figures for every fault", () => {
    assert.deepEqual(report.faults.map((f) => f.fault).sort(), [...FAULTS].sort());
    for (const f of report.faults) {
      assert.ok(["pass", "fail"].includes(f.verdict), `${f.fault} ran (${f.verdict}: ${f.reasons.join("; ")})`);
      for (const k of ["playersUnseated", "ticketsLost", "doubleSeated", "keysLeft"] as const) assert.equal(typeof f[k], "number", `${f.fault}.${k}`);
      assert.ok(f.recoverMs === null || f.recoverMs >= 0);
    }
    assert.ok(report.load.seated > 16, "players were seated through the run");
    assert.equal(typeof report.keys.afterLoad, "number");
    assert.equal(JSON.parse(JSON.stringify(report)).faults.length, FAULTS.length, "the report is plain JSON");
  });

  for (const fault of ["leader-kill", "redis-restart", "drain", "db-stop"] as const) {
    it(`${fault}: passes (no ticket lost or seated twice, recovered)`, () => {
      const f = report.faults.find((x) => x.fault === fault)!;
      assert.equal(f.verdict, "pass", `${fault}: ${f.reasons.join("; ")} ${JSON.stringify(f.figures)}`);
      assert.equal(f.ticketsLost, 0);
      assert.equal(f.doubleSeated, 0);
      assert.notEqual(f.recoverMs, null);
    });
  }

  it("leader-kill: a new leader within a few lease TTLs; redis-restart and db-stop unseat nobody", () => {
    const leader = report.faults.find((x) => x.fault === "leader-kill")!;
    assert.ok(typeof leader.figures.newLeaderMs === "number" && leader.figures.newLeaderMs < 10_000, `new leader after ${leader.figures.newLeaderMs} ms`);
    for (const fault of ["redis-restart", "db-stop", "drain"]) assert.equal(report.faults.find((x) => x.fault === fault)!.playersUnseated, 0, fault);
  });

  it("match-host-kill: every player of the killed node seated again in time, no key of it left", () => {
    const f = report.faults.find((x) => x.fault === "match-host-kill")!;
    assert.equal(f.verdict, "pass", `${f.reasons.join("; ")} ${JSON.stringify(f.figures)}`);
    assert.equal(f.keysLeft, 0);
    assert.equal(f.ticketsLost, 0);
    console.log(`      match-host-kill recovered in ${f.recoverMs} ms (goal 10 s, measured by npm run chaos)`);
  });
});
