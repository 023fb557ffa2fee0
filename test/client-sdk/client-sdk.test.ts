/**
 * The TypeScript SDK (client-sdk/) against a real node in a child process (`npm start`'s entry): auth,
 * token refresh, typed HTTP errors and room refusals. The arena's handle built on it (joins, input,
 * reconnection) is tested in test/examples/arena/client.test.ts.
 */
import assert from "node:assert/strict";
import { Interpolator, RallyApiError, RallyClient, RallyRoomError, type Session, type SessionStore } from "../../client-sdk/index.ts";
import { startNodeProcess, type NodeHandle } from "../support/processes.ts";

function memoryStore(): SessionStore & { saved: Session | null } {
  return { saved: null, load() { return this.saved; }, save(s) { this.saved = s; } };
}

describe("client SDK against a real node", function () {
  this.timeout(60_000);
  let node: NodeHandle;

  before(async function () {
    node = await startNodeProcess();
  });

  after(async function () {
    await node?.stop("SIGKILL");
  });

  describe("auth and HTTP", function () {
    it("guest login stores the session, sets the SDK token, and me() answers", async function () {
      const store = memoryStore();
      const rally = new RallyClient(node.url, { store });
      const session = await rally.auth.guest({ deviceId: "sdk-test-device-1" });
      assert.match(session.playerId, /.+/);
      assert.ok(session.expiresAt > Date.now());
      assert.equal(rally.colyseus.auth.token, session.token);
      assert.deepEqual(store.saved, session);
      const me = await rally.me();
      assert.equal(me.playerId, session.playerId);
      assert.equal(me.name, session.name);

      const again = await new RallyClient(node.url).auth.guest({ deviceId: "sdk-test-device-1" });
      assert.equal(again.playerId, session.playerId, "same deviceId, same player");
    });

    it("refresh issues a new pair for the same player; a restored session works", async function () {
      const store = memoryStore();
      const rally = new RallyClient(node.url, { store });
      const first = await rally.auth.guest();
      const second = await rally.auth.refresh();
      assert.equal(second.playerId, first.playerId);
      assert.equal(rally.colyseus.auth.token, second.token);
      assert.deepEqual(store.saved, second);

      const restored = new RallyClient(node.url, { store });
      assert.equal(restored.auth.playerId, first.playerId, "the store restores the session");
      assert.equal((await restored.me()).playerId, first.playerId);
    });

    it("refreshes an access token that is about to expire before using it", async function () {
      const rally = new RallyClient(node.url);
      const s = await rally.auth.guest();
      rally.auth.restore({ ...s, expiresAt: Date.now() + 1000 }); // inside the 30 s margin
      await rally.me();
      assert.ok(rally.auth.session!.expiresAt > Date.now() + 60_000, "a new pair was issued before the call");
    });

    it("server errors surface as RallyApiError { code, message, status }", async function () {
      const rally = new RallyClient(node.url);
      await assert.rejects(rally.auth.guest({ deviceId: "bad id!" }), (e: unknown) => {
        assert.ok(e instanceof RallyApiError);
        assert.equal(e.code, "BAD_REQUEST");
        assert.equal(e.status, 400);
        assert.match(e.message, /deviceId/);
        return true;
      });
      await assert.rejects(rally.me(), (e: unknown) => e instanceof RallyApiError && e.code === "AUTH_MISSING_TOKEN" && e.status === 401);
      await assert.rejects(rally.auth.refresh(), (e: unknown) => e instanceof RallyApiError && e.code === "AUTH_MISSING_TOKEN");
      rally.auth.restore({ playerId: "p", name: "n", token: "x", refreshToken: "not-a-token", expiresAt: 0 });
      await assert.rejects(rally.auth.refresh(), (e: unknown) => e instanceof RallyApiError && e.code === "AUTH_INVALID_TOKEN" && e.status === 401);
      await assert.rejects(new RallyClient("http://127.0.0.1:9").auth.guest(), (e: unknown) => e instanceof RallyApiError && e.code === "NETWORK" && e.status === 0);
    });

    it("a room refusal surfaces as RallyRoomError with the server's code", async function () {
      const rally = new RallyClient(node.url);
      rally.auth.restore({ playerId: "p", name: "n", token: "forged", refreshToken: "r", expiresAt: Date.now() + 3_600_000 });
      await assert.rejects(rally.joinOrCreate("arena"), (e: unknown) => {
        assert.ok(e instanceof RallyRoomError, String(e));
        assert.equal(e.code, "AUTH_INVALID_TOKEN");
        return true;
      });
    });
  });

});

describe("Interpolator", function () {
  it("renders delayMs in the past, blending linearly between snapshots", function () {
    let now = 0;
    const interp = new Interpolator({ delayMs: 100, now: () => now });
    interp.push("p", { x: 0, y: 0 }, 0);
    interp.push("p", { x: 100, y: 50 }, 50);
    interp.push("p", { x: 100, y: 150 }, 100);
    now = 125; // renders t = 25: halfway through the first segment
    assert.deepEqual(interp.sample("p"), { x: 50, y: 25 });
    assert.deepEqual(interp.sample("p", 175), { x: 100, y: 100 });
    assert.deepEqual(interp.sample("p", 50), { x: 0, y: 0 }, "before the first snapshot: hold it");
    assert.deepEqual(interp.sample("p", 500), { x: 100, y: 150 }, "past the newest: hold it, never extrapolate");
    assert.equal(interp.sample("nobody"), undefined);
  });

  it("blends angles along the shortest arc and ignores out-of-order snapshots", function () {
    const interp = new Interpolator({ delayMs: 0 });
    interp.push("p", { x: 0, y: 0, angle: Math.PI - 0.1 }, 0);
    interp.push("p", { x: 0, y: 0, angle: -Math.PI + 0.1 }, 100);
    interp.push("p", { x: 999, y: 999 }, 50); // late: dropped
    const mid = interp.sample("p", 50)!;
    assert.equal(mid.x, 0);
    assert.ok(Math.abs(Math.abs(mid.angle!) - Math.PI) < 1e-9, `crosses ±π, not 0 (got ${mid.angle})`);
  });

  it("keeps a bounded buffer and forgets entities", function () {
    const interp = new Interpolator({ delayMs: 100, keepMs: 500 });
    for (let t = 0; t <= 10_000; t += 50) interp.push("p", { x: t, y: 0 }, t);
    assert.equal(interp.sample("p", 10_050)!.x, 9950);
    assert.equal(interp.sample("p", 0)!.x, 9450, "old snapshots were dropped");
    interp.push("q", { x: 1, y: 1 }, 0);
    interp.retain(["p"]);
    assert.equal(interp.sample("q", 0), undefined);
    interp.remove("p");
    assert.equal(interp.sample("p", 0), undefined);
  });
});
