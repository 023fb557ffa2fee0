/**
 * Two real Rally nodes (child processes) sharing one real, private redis-server, driven by the
 * official @colyseus/sdk client: a room created through one node is joined through the other, the
 * WebSocket goes to the process that owns the room (PUBLIC_ADDRESS), both players see each other's
 * state, and a token issued by one node is accepted by the other (shared JWT_SECRET).
 * Nothing is skipped: without redis-server the suite fails with the helper's clear error.
 */
import assert from "node:assert/strict";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Client, type Room } from "@colyseus/sdk";
import { SignJWT } from "jose";
import { freePort, guest, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle } from "../../support/processes.ts";
import { until } from "../../support/wait.ts";
import { refusedWith } from "../../support/refusal.ts";

const JWT_SECRET = "cluster-test-secret-0123456789-abcdefghijklmnop";

async function processIdOf(node: NodeHandle): Promise<string> {
  const res = await fetch(`${node.url}/readyz`);
  assert.equal(res.status, 200);
  const body = await res.json() as { processId: string };
  assert.ok(body.processId, "readyz reports the node's processId");
  return body.processId;
}

/** Arena rooms hosted by this node's own process, from its Prometheus gauge. */
async function localArenaRooms(node: NodeHandle): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const m = /^rally_rooms\{[^}]*room="arena"[^}]*\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

function clientFor(node: NodeHandle, token: string): Client {
  const client = new Client(node.url);
  client.auth.token = token;
  return client;
}

interface ArenaPlayerView { playerId: string; x: number; y: number; team: number; connected: boolean }
interface ArenaView { phase: string; players: Map<string, ArenaPlayerView> }

function playersOf(room: Room): Map<string, ArenaPlayerView> {
  return (room.state as ArenaView).players;
}

describe("cluster: two nodes sharing Redis", function () {
  this.timeout(60_000);

  let redis: RedisHandle | undefined;
  const nodes: NodeHandle[] = [];
  const rooms: Room[] = [];
  let A: NodeHandle;
  let B: NodeHandle;
  /** Set by the cross-node join test: the arena room and the nodes that own / do not own it. */
  let shared: { roomId: string; owner: NodeHandle; other: NodeHandle } | undefined;

  before(async function () {
    redis = await startRedis();
    const [portA, portB] = [await freePort(), await freePort()];
    // One store for both nodes (a player made on one is known on the other): the shared SQLite file of `npm run cluster`.
    const common = { REDIS_URL: redis.url, SHARED_SQLITE_DIR: tempDir("rally-cluster-store-"), JWT_SECRET, LOG_LEVEL: "warn", SERVE_DEMO: "false", REGION: "local" };
    // Started one after the other: each must be ready (registered in Redis) before the next joins.
    A = await startNodeProcess({ ...common, PORT: String(portA), PUBLIC_ADDRESS: `127.0.0.1:${portA}` });
    nodes.push(A);
    B = await startNodeProcess({ ...common, PORT: String(portB), PUBLIC_ADDRESS: `127.0.0.1:${portB}` });
    nodes.push(B);
  });

  after(async function () {
    await Promise.allSettled(rooms.map((r) => r.connection?.isOpen ? r.leave(true) : undefined));
    // SIGKILL: a node with a running match drains on SIGTERM (up to DRAIN_TIMEOUT_S).
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const [i, n] of nodes.entries()) console.error(`--- node ${i ? "B" : "A"} (port ${n.port}) output:\n${n.output.slice(-40).join("\n")}`);
    }
  });

  it("the nodes are distinct processes registered in the same Redis", async function () {
    const [pa, pb] = [await processIdOf(A), await processIdOf(B)];
    assert.notEqual(pa, pb);
  });

  it("a client of one node joins a room living in the other node; both see each other's state", async function () {
    // Both tokens come from A; X matchmakes through B, so B must accept A's token.
    const px = await guest(A.url, "cluster-player-x");
    const py = await guest(A.url, "cluster-player-y");
    assert.notEqual(px.playerId, py.playerId);

    const x = await clientFor(B, px.token).joinOrCreate("arena");
    rooms.push(x);

    // Colyseus picks the creating process itself (fewest rooms); find out which node owns the room.
    const byProcess = new Map([[await processIdOf(A), A], [await processIdOf(B), B]]);
    const ownerProcessId = new URL(x.connection.url!).pathname.split("/")[1];
    const owner = byProcess.get(ownerProcessId);
    assert.ok(owner, "the room lives in one of the two nodes");
    const other = owner === A ? B : A;
    assert.equal(await localArenaRooms(owner), 1, "the owner hosts the room");
    assert.equal(await localArenaRooms(other), 0, "the other node hosts nothing");
    // X's WebSocket went to the owner's PUBLIC_ADDRESS.
    assert.equal(new URL(x.connection.url!).port, String(owner.port));

    // Y is a client of the *other* node: its HTTP matchmaking goes there; its WebSocket must go to the owner.
    const y = await clientFor(other, py.token).joinById(x.roomId);
    rooms.push(y);
    assert.equal(y.roomId, x.roomId);
    assert.equal(new URL(y.connection.url!).port, String(owner.port), "the SDK connects to the owning process");

    shared = { roomId: x.roomId, owner, other };

    // Both see both players, with the identities from their tokens.
    for (const room of [x, y]) {
      await until(`${room.sessionId} to see 2 players`, () => playersOf(room)?.size === 2);
      const ids = [...playersOf(room).values()].map((p) => p.playerId).sort();
      assert.deepEqual(ids, [px.playerId, py.playerId].sort());
    }
    assert.notEqual(playersOf(x).get(x.sessionId)!.team, playersOf(x).get(y.sessionId)!.team, "open room splits players across teams");

    // The match starts (two players in an open arena), then each sees the other move.
    await until("the match to start on both clients", () => (x.state as ArenaView).phase === "playing" && (y.state as ArenaView).phase === "playing", 15_000);
    const xStart = playersOf(y).get(x.sessionId)!.x;
    const yStart = playersOf(x).get(y.sessionId)!.y;
    let seq = 0;
    const push = () => {
      x.send("input", { seq: ++seq, x: xStart < 500 ? 1 : -1, y: 0, aim: 0, fire: false });
      y.send("input", { seq, x: 0, y: yStart < 300 ? 1 : -1, aim: 0, fire: false });
    };
    await until("Y to see X move and X to see Y move", () => {
      push();
      return Math.abs(playersOf(y).get(x.sessionId)!.x - xStart) > 20 && Math.abs(playersOf(x).get(y.sessionId)!.y - yStart) > 20;
    }, 10_000, 50);
  });

  it("joinOrCreate through the node without rooms finds the open room in the other node", async function () {
    assert.ok(shared, "needs the room from the previous test");
    const pz = await guest(shared.other.url, "cluster-player-z2");
    const z = await clientFor(shared.other, pz.token).joinOrCreate("arena");
    rooms.push(z);
    assert.equal(z.roomId, shared.roomId, "the shared RedisDriver listing is found from the other node");
    assert.equal(new URL(z.connection.url!).port, String(shared.owner.port));
    await until("z to see 3 players", () => playersOf(z)?.size === 3);
    assert.ok(playersOf(z).get(z.sessionId), "z sees itself");
  });

  it("a token signed with another secret is refused by the other node", async function () {
    const forged = await new SignJWT({ typ: "access", name: "mallory" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("rally")
      .setSubject("p_forged")
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(new TextEncoder().encode("some-other-secret-0123456789-abcdefghijklmnop"));
    await assert.rejects(clientFor(B, forged).joinOrCreate("arena"), refusedWith("AUTH_INVALID_TOKEN"));
    const real = await guest(A.url, "cluster-player-z");
    // the same token is fine on both nodes for HTTP too: /v1/me verifies it (the player record lives in A's store)
    const me = await fetch(`${A.url}/v1/me`, { headers: { authorization: `Bearer ${real.token}` } });
    assert.equal(me.status, 200);
  });

  it("startRedis fails with a clear error (not a skip) when redis-server is missing", async function () {
    // A PATH holding only `sh`, so `command -v redis-server` finds nothing.
    const bin = mkdtempSync(join(tmpdir(), "rally-nopath-"));
    const sh = spawnSync("sh", ["-c", "command -v sh"], { encoding: "utf8" }).stdout.trim();
    symlinkSync(sh, join(bin, "sh"));
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      await assert.rejects(startRedis(), /redis-server is required for this test but was not found on PATH/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
