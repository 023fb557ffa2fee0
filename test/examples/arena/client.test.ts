/**
 * The arena example's client (examples/arena/client.ts) against a real node in a child process
 * (`npm start`'s entry): joins through the SDK, typed state with private fields, input clamping and
 * coalescing, reconnection after a network drop and after a page reload. The drop is real: clients talk
 * to the node through a TCP proxy whose sockets the test destroys, so the SDK sees an abnormal close (1006).
 */
import assert from "node:assert/strict";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { RallyClient, RallyRoomError, type Session, type SessionStore } from "../../../client-sdk/index.ts";
import { joinArena, reconnectArena, type ArenaHandle, type ArenaPlayerView } from "../../../examples/arena/client.ts";
import { startNodeProcess, type NodeHandle } from "../../support/processes.ts";
import { until } from "../../support/wait.ts";

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

describe("arena client against a real node", function () {
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
