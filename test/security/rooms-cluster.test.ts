/**
 * Issue #12 items 2, 7, 17 and 19 across two real nodes (child processes) sharing a private redis-server
 * and one store: a player's connection count holds cluster-wide (Redis seat ledger), a ban through one
 * node closes the player's socket on the other (presence bus), and a token of a player the store does
 * not know is refused by both.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { Client, type Room } from "@colyseus/sdk";
import { freePort, guest, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle } from "../support/processes.ts";
import { leaveCode } from "../support/rooms.ts";
import { ADMIN_TOKEN } from "../support/security-rooms.ts";
import { decodeRefusal } from "../../protocol/index.ts";

const JWT_SECRET = "security-cluster-secret-0123456789-abcdefghijkl";

function clientFor(node: NodeHandle, token: string): Client {
  const client = new Client(node.url);
  client.auth.token = token;
  return client;
}

describe("security: per-player limits and bans across two nodes sharing Redis", function () {
  this.timeout(90_000);
  let redis: RedisHandle | undefined;
  const nodes: NodeHandle[] = [];
  const rooms: Room[] = [];
  let A: NodeHandle;
  let B: NodeHandle;

  before(async () => {
    redis = await startRedis();
    const [portA, portB] = [await freePort(), await freePort()];
    const common = {
      REDIS_URL: redis.url, SHARED_SQLITE_DIR: tempDir("rally-security-cluster-"), JWT_SECRET, ADMIN_TOKEN, LOG_LEVEL: "warn", SERVE_DEMO: "false", REGION: "local",
      MAX_CONNECTIONS_PER_PLAYER: "4", MAX_ROOMS_PER_PLAYER: "4", AUTH_RATE_PER_MIN: "1000",
    };
    A = await startNodeProcess({ ...common, PORT: String(portA), PUBLIC_ADDRESS: `127.0.0.1:${portA}` });
    nodes.push(A);
    B = await startNodeProcess({ ...common, PORT: String(portB), PUBLIC_ADDRESS: `127.0.0.1:${portB}` });
    nodes.push(B);
  });

  after(async () => {
    await Promise.allSettled(rooms.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const [i, n] of nodes.entries()) console.error(`--- node ${i ? "B" : "A"} output:\n${n.output.slice(-30).join("\n")}`);
    }
  });

  it("MAX_CONNECTIONS_PER_PLAYER holds across nodes: joins through A and B together stop at the cap (ROOM_LIMIT)", async () => {
    const p = await guest(A.url);
    const outcomes: Array<Room | Error> = [];
    for (const node of [A, B, A, B, A, B]) {
      outcomes.push(await clientFor(node, p.token).joinOrCreate("lobby").catch((e: Error) => e));
    }
    const joined = outcomes.filter((o): o is Room => !(o instanceof Error));
    rooms.push(...joined);
    const refused = outcomes.filter((o): o is Error => o instanceof Error);
    assert.equal(joined.length, 4, `joined ${joined.length}: ${refused.map((e) => e.message).join(" | ")}`);
    for (const e of refused) assert.equal(decodeRefusal(e).code, "ROOM_LIMIT", e.message);
  });

  it("a ban through node A closes the player's socket held through node B (4403)", async () => {
    const p = await guest(A.url);
    const social = await clientFor(B, p.token).joinOrCreate("social");
    rooms.push(social);
    assert.equal(new URL(social.connection.url!).port, String(B.port), "the social line lives on B");
    const closed = leaveCode(social, 10_000);
    const res = await fetch(`${A.url}/v1/admin/players/${p.playerId}/ban`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ reason: "test" }),
    });
    assert.equal(res.status, 200);
    assert.equal(await closed, 4403);
  });

  it("a validly signed token for a player the shared store does not know is refused on both nodes (HTTP and rooms)", async () => {
    const phantom = await new SignJWT({ typ: "access", name: "Phantom" }).setProtectedHeader({ alg: "HS256" })
      .setIssuer("rally").setSubject(`ghost-${Date.now()}`).setIssuedAt().setExpirationTime("10m")
      .sign(new TextEncoder().encode(JWT_SECRET));
    for (const node of [A, B]) {
      const me = await fetch(`${node.url}/v1/me`, { headers: { authorization: `Bearer ${phantom}` } });
      assert.equal(me.status, 401);
      await assert.rejects(clientFor(node, phantom).joinOrCreate("arena"), (e: unknown) => decodeRefusal(e).code === "AUTH_INVALID_TOKEN");
    }
    // A player created through A is known to B (one store), so the same kind of token works there.
    const real = await guest(A.url);
    const room = await clientFor(B, real.token).joinOrCreate("arena");
    rooms.push(room);
  });
});
