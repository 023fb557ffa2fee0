/**
 * The TypeScript SDK (client-sdk/) against a real node in a child process: auth, typed errors, arena
 * joins and input through the arena example's client (examples/arena/client.ts), and reconnection after a network drop. The drop is real: clients talk to the node
 * through a TCP proxy whose sockets the test destroys, so the SDK sees an abnormal close (1006).
 */
import assert from "node:assert/strict";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { Interpolator, RallyApiError, RallyClient, RallyRoomError, type Session, type SessionStore } from "../../client-sdk/index.ts";
import { joinArena, reconnectArena, type ArenaHandle, type ArenaPlayerView } from "../../examples/arena/client.ts";
import { startNodeProcess, type NodeHandle } from "../support/processes.ts";
import { until } from "../support/wait.ts";

/** A TCP proxy to the node; `drop()` cuts every open connection like a network failure would. */
async function startProxy(targetPort: number): Promise<{ url: string; drop(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ port: targetPort, host: "127.0.0.1" });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    drop: () => { for (const s of sockets) s.destroy(); },
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

function memoryStore(): SessionStore & { saved: Session | null } {
  return { saved: null, load() { return this.saved; }, save(s) { this.saved = s; } };
}

function once<T extends unknown[]>(subscribe: (cb: (...args: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((...args) => { off(); resolve(args); });
  });
}

describe("client SDK against a real node", function () {
  this.timeout(60_000);
  let node: NodeHandle;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const handles: ArenaHandle[] = [];

  before(async function () {
    node = await startNodeProcess();
    proxy = await startProxy(node.port);
  });

  after(async function () {
    for (const h of handles) await h.leave().catch(() => undefined);
    await proxy?.close();
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
      await assert.rejects(joinArena(rally), (e: unknown) => {
        assert.ok(e instanceof RallyRoomError, String(e));
        assert.equal(e.code, "AUTH_INVALID_TOKEN");
        return true;
      });
    });
  });

  describe("arena", function () {
    let a: ArenaHandle;
    let b: ArenaHandle;
    let rallyA: RallyClient;
    const storeA = memoryStore();

    const own = (h: ArenaHandle): ArenaPlayerView => h.me!;
    const seen = (from: ArenaHandle, of: ArenaHandle): ArenaPlayerView | undefined => from.state?.players.get(of.sessionId);

    before(async function () {
      rallyA = new RallyClient(proxy.url, { store: storeA });
      const rallyB = new RallyClient(node.url);
      await rallyA.auth.guest();
      await rallyB.auth.guest();
      a = await joinArena(rallyA);
      handles.push(a);
      b = await joinArena(rallyB);
      handles.push(b);
    });

    it("both join one room with typed state; private fields only for yourself", async function () {
      assert.equal(a.roomId, b.roomId);
      await until("both states", () => a.state && b.state && a.state.players.size === 2 && b.state.players.size === 2, 5000);
      assert.equal(own(a).ammo, 10, "own ammo is visible");
      assert.equal(seen(b, a)!.ammo, undefined, "someone else's ammo is not");
      assert.notEqual(own(a).team, own(b).team, "open rooms balance teams");
      assert.match(a.reconnectionToken, new RegExp(`^${a.roomId}:.+`));
    });

    it("starts playing, and input moves your own player", async function () {
      await until("phase playing", () => a.phase === "playing" && b.phase === "playing", 10_000);
      const start = { x: own(a).x, y: own(a).y };
      const dir = start.x < 500 ? 1 : -1;
      const sent = a.sendInput({ x: dir, y: 0, aim: 0, fire: false });
      assert.equal(sent.seq, 1);
      await until("A to move (seen by A)", () => (own(a).x - start.x) * dir > 40, 5000);
      await until("A to move (seen by B)", () => (seen(b, a)!.x - start.x) * dir > 40, 5000);
      await until("lastSeq echoed", () => own(a).lastSeq === sent.seq, 2000);
      a.sendInput({ x: 0, y: 0, aim: 0, fire: false });
    });

    it("bad input gets an `error` message and changes nothing", async function () {
      const error = once<[{ code: string; message: string }]>((cb) => a.on("error", cb));
      a.room.send("input", { seq: 1, x: 5, y: 0, aim: 0, fire: false, extra: true });
      const [e] = await error;
      assert.equal(e.code, "INVALID_MESSAGE");
    });

    it("clamps and coalesces input so a fast loop never trips the room's message cap", async function () {
      let last = a.sendInput({ x: 0, y: 0, aim: 0, fire: false });
      for (let i = 0; i < 200; i++) last = a.sendInput({ x: 3, y: -3, aim: 10, fire: false });
      assert.deepEqual([last.x, last.y], [1, -1]);
      assert.ok(Math.abs(last.aim) <= Math.PI);
      await new Promise((r) => setTimeout(r, 300));
      a.sendInput({ x: 0, y: 0, aim: 0, fire: false });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(a.room.connection.isOpen, true, "still connected");
    });

    it("reconnects on its own after a network drop: same sessionId, onReconnect, input works again", async function () {
      const sessionId = a.sessionId;
      const dropped = once((cb) => a.on("drop", cb));
      const back = once((cb) => a.on("reconnect", cb));
      proxy.drop();
      const [code] = await dropped;
      assert.equal(code, 1006, "an abnormal close");
      await until("B to see A disconnected", () => seen(b, a)?.connected === false, 5000);
      await back;
      assert.equal(a.sessionId, sessionId);
      await until("B to see A connected again", () => seen(b, a)?.connected === true, 5000);

      const start = own(a).x;
      const dir = start < 500 ? 1 : -1;
      a.sendInput({ x: dir, y: 0, aim: 0, fire: false });
      await until("A to move after reconnecting", () => (own(a).x - start) * dir > 30, 5000);
      a.sendInput({ x: 0, y: 0, aim: 0, fire: false });
    });

    it("reconnectArena(token) takes the seat back from a new client (a page reload)", async function () {
      const token = a.reconnectionToken;
      const sessionId = a.sessionId;
      a.room.reconnection.enabled = false; // the old page is gone: no auto-reconnect
      const left = once((cb) => a.on("leave", cb));
      proxy.drop();
      await left;
      await until("B to see A disconnected", () => seen(b, a)?.connected === false, 5000);

      const reloaded = new RallyClient(node.url, { store: storeA });
      const a2 = await reconnectArena(reloaded, token);
      handles.push(a2);
      assert.equal(a2.sessionId, sessionId);
      await until("state after reconnect", () => a2.state && a2.me, 5000);
      assert.ok((a2.me!.ammo ?? 0) > 0, "private fields visible again");
      await until("B to see A connected again", () => seen(b, a2)?.connected === true, 5000);
    });

    it("a used or unknown reconnection token is refused as RallyRoomError", async function () {
      const rally = new RallyClient(node.url, { store: storeA });
      await assert.rejects(rally.reconnect(`${a.roomId}:nope`), (e: unknown) => e instanceof RallyRoomError);
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
