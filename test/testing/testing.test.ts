/**
 * rally/testing and createRally's options: a node started with only `{ games }` registers exactly
 * those games (and their modes) through the one registration path; extra rooms get the token check;
 * the studio's /v1 routes sit behind Rally's middleware.
 */
import assert from "node:assert/strict";
import { Room, matchMaker } from "@colyseus/core";
import { Client } from "@colyseus/sdk";
import { ArenaRoom } from "../../examples/arena/index.ts";
import { defineGame } from "../../server/index.ts";
import { startTestRally, type TestRally } from "../../testing/index.ts";
import { guest } from "../support/processes.ts";
import { until } from "../support/wait.ts";

/** A plain Colyseus room with no onAuth of its own: registration must add the token check. */
class EchoRoom extends Room {
  override onCreate(): void {
    this.onMessage("echo", (client, message: unknown) => client.send("echo", message));
  }
}

describe("rally/testing", function () {
  this.timeout(30_000);
  let t: TestRally;

  before(async () => {
    t = await startTestRally({
      games: { tap: defineGame({ room: ArenaRoom, modes: { duel: { teams: 2, teamSize: 1 } } }) },
      rooms: { echo: { room: EchoRoom } },
      routes: (v1) => v1.get("/hello", (_req, res) => void res.json({ hello: "tap" })),
      env: { REGION: "test-region" },
    });
  });
  after(() => t?.close());

  it("registers the games given and their modes, nothing else", async () => {
    assert.deepEqual(Object.keys(t.node.matchmaker.modes), ["duel"]);
    assert.equal(t.node.matchmaker.modes.duel!.room, "tap");
    assert.deepEqual(Object.keys(t.rally.modes), ["duel"]);
    assert.equal(t.node.config.REGION, "test-region", "env overrides the test defaults");
    await assert.rejects(matchMaker.createRoom("arena", {}), /not defined/, "no example game behind the studio's back");
  });

  it("a game room gets auth, presence and metrics from its registration", async () => {
    const [a, b] = [await guest(t.url), await guest(t.url)];
    const client = (token?: string) => { const c = new Client(t.url); if (token) c.auth.token = token; return c; };
    await assert.rejects(client().joinOrCreate("tap"), /AUTH_MISSING_TOKEN/);
    const ra = await client(a.token).joinOrCreate("tap");
    const rb = await client(b.token).joinById(ra.roomId);
    await until("presence in_match", async () => (await t.node.social.presence.get(a.playerId)).status === "in_match", 5000, 50);
    const rooms = await t.node.metrics.registry.getSingleMetricAsString("rally_rooms");
    assert.match(rooms, /rally_rooms\{[^}]*room="tap"[^}]*\} 1/, rooms);
    await Promise.all([ra.leave(), rb.leave()]);
  });

  it("an extra plain room gets the token check through the same path", async () => {
    const c = new Client(t.url);
    await assert.rejects(c.joinOrCreate("echo"), /AUTH_MISSING_TOKEN/);
    const g = await guest(t.url);
    c.auth.token = g.token;
    const room = await c.joinOrCreate("echo");
    const echoed = new Promise((resolve) => room.onMessage("echo", resolve));
    room.send("echo", { n: 1 });
    assert.deepEqual(await echoed, { n: 1 });
    await room.leave();
  });

  it("the studio's /v1 routes answer behind Rally's middleware; unknown ones keep Rally's 404", async () => {
    const res = await fetch(`${t.url}/v1/hello`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { hello: "tap" });
    assert.ok(res.headers.get("x-content-type-options"), "helmet headers");
    const missing = await fetch(`${t.url}/v1/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
  });

  it("close is idempotent", async () => {
    const other = t;
    await Promise.all([other.close(), other.close()]);
    t = undefined as unknown as TestRally;
  });
});
