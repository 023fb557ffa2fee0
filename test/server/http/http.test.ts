/** Health, readiness, metrics, error shape and secret persistence of a node's HTTP surface. */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { matchMaker } from "@colyseus/core";
import { loadConfig } from "../../../server/config.ts";
import { startGameNode } from "../../../server/node/index.ts";
import { freePort, guest, tempDir } from "../../support/processes.ts";
import { defaultTestGames, startTestNode, type TestNode } from "../../support/rooms.ts";
import { sleep } from "../../support/wait.ts";

describe("HTTP surface", () => {
  let t: TestNode;
  before(async () => { t = await startTestNode({ REGION: "test-region" }); });
  after(async () => t.close());

  it("GET /healthz says ok", async () => {
    const res = await fetch(`${t.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });

  it("GET /readyz is 200 with region and processId once ready", async () => {
    const res = await fetch(`${t.url}/readyz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; region: string; processId: string };
    assert.equal(body.status, "ready");
    assert.equal(body.region, "test-region");
    assert.equal(body.processId, t.node.processId);
  });

  it("an unknown /v1 route is 404 NOT_FOUND in the error shape", async () => {
    const res = await fetch(`${t.url}/v1/no-such-thing`);
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "NOT_FOUND");
    assert.equal(typeof body.error.message, "string");
  });

  it("GET /metrics exposes Rally's room metrics and process metrics in Prometheus text", async () => {
    // One request under /v1 so the HTTP counter has a sample.
    await guest(t.url);
    const res = await fetch(`${t.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
    const text = await res.text();
    for (const name of ["rally_rooms", "rally_clients", "rally_messages_in_total", "rally_tick_duration_seconds", "rally_match_results_total", "rally_http_requests_total"]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
    for (const name of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds"]) {
      assert.match(text, new RegExp(`^${name}\\{`, "m"), name);
    }
    assert.match(text, /^rally_http_requests_total\{route="\/auth\/guest",status="200",region="test-region"\} [1-9]/m);
  });

  it("/metrics counts rooms by type", async () => {
    const a = await t.player(), b = await t.player();
    const listing = await matchMaker.createRoom("arena", { matchId: "metrics-room", teams: [[a.playerId], [b.playerId]] });
    try {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(text, /^rally_rooms\{room="arena",region="test-region"\} 1$/m);
    } finally {
      await matchMaker.getLocalRoomById(listing.roomId)?.disconnect();
    }
  });
});

describe("readiness while draining", () => {
  it("/readyz turns 503 NOT_READY while the node drains a running matchmade room; the node stops once it ends", async function () {
    this.timeout(30_000);
    const t = await startTestNode();
    let closing: Promise<void> | undefined;
    try {
      const a = await t.player(), b = await t.player();
      const listing = await matchMaker.createRoom("arena", { matchId: "drain-readyz", teams: [[a.playerId], [b.playerId]] });
      const room = matchMaker.getLocalRoomById(listing.roomId);
      assert.equal((await fetch(`${t.url}/readyz`)).status, 200);

      closing = t.node.close();
      let res = await fetch(`${t.url}/readyz`);
      for (let i = 0; i < 50 && res.status === 200; i++) {
        await sleep(50);
        res = await fetch(`${t.url}/readyz`);
      }
      assert.equal(res.status, 503);
      const body = (await res.json()) as { status: string; error: { code: string } };
      assert.equal(body.status, "draining");
      assert.equal(body.error.code, "NOT_READY");
      assert.equal(t.node.state(), "draining");
      // The room is kept while draining: the node has not stopped.
      assert.ok(matchMaker.getLocalRoomById(listing.roomId));
      assert.equal((await fetch(`${t.url}/healthz`)).status, 200, "alive while draining");

      await room.disconnect();
      await closing;
      assert.equal(t.node.state(), "stopped");
    } finally {
      if (!closing) await t.close();
      else await closing.catch(() => undefined);
    }
  });
});

describe("JWT secret persistence", () => {
  it("a token issued before a restart still verifies after it (secret and players kept in DATA_DIR)", async function () {
    this.timeout(30_000);
    const dataDir = tempDir("rally-secret-");
    const start = async () => {
      const port = await freePort();
      const node = await startGameNode(loadConfig({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", SERVE_DEMO: "false" }), { games: defaultTestGames });
      return { node, url: `http://127.0.0.1:${port}` };
    };
    const first = await start();
    const g = await guest(first.url, "device-restart-1");
    await first.node.close();

    const secretFile = join(dataDir, "jwt-secret");
    assert.equal(statSync(secretFile).mode & 0o077, 0, "secret file is private to its owner");

    const second = await start();
    try {
      const res = await fetch(`${second.url}/v1/me`, { headers: { authorization: `Bearer ${g.token}` } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { playerId: string }).playerId, g.playerId);
      assert.equal((await guest(second.url, "device-restart-1")).playerId, g.playerId);
    } finally {
      await second.node.close();
    }
  });
});
