/**
 * Issue #15 item 1, two real Rally processes over one private redis-server: backfill across nodes.
 * The example `arena` mode (2v2, backfill for the first 90 s) runs a match on one node; a player who
 * leaves for good is replaced by a player whose queue connection is on the other node (the opening
 * goes through Redis to whichever node leads the mode, the room on the host admits the joiner over a
 * remote room call). Then the host is SIGKILLed with a seat open: the opening is dropped and the
 * waiting ticket is not lost (it keeps searching). And a Redis restart that loses the opening: the room
 * writes it again within seconds and the seat is still filled. Official @colyseus/sdk clients.
 */
import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { backfillKey } from "../../protocol/index.ts";
import { guest, sdkClientOf, useCluster } from "../support/processes.ts";
import { acceptSeat, arenaStateOf, joinQueue, leadsMode, until, within, type Queued } from "../support/matchmaker-e2e.ts";

const JWT_SECRET = "mm-backfill-cluster-secret-0123456789-abcdefgh";
const NODE_TTL_MS = 3000;

const stateOf = arenaStateOf;
const teamOf = (r: Room, playerId: string) => [...(stateOf(r)?.players?.values() ?? [])].find((p) => p.playerId === playerId)?.team;

describe("backfill (two processes over Redis)", function () {
  this.timeout(120_000);
  const { nodes, rooms, redis } = useCluster(2, { JWT_SECRET, MM_LEASE_TTL_MS: "2000", NODE_TTL_MS: String(NODE_TTL_MS), RECONNECT_WINDOW_S: "2", MM_CONNECT_TIMEOUT_S: "8" });

  it("a Redis restart that loses the opening: the room writes it again and the seat is still filled", async () => {
    const players = await Promise.all([0, 1, 2, 3].map((i) => guest(nodes[0]!.url, `backfill-restart-${i}-${Math.random().toString(36).slice(2)}`)));
    const clients = players.map((p, i) => sdkClientOf(nodes[i % 2]!, p.token));
    const queued: Queued[] = [];
    for (const c of clients) queued.push(await joinQueue(c, { mode: "arena" }));
    const seated = await Promise.all(queued.map((q, i) => acceptSeat(clients[i]!, q, 30_000)));
    rooms.push(...seated, ...queued.map((q) => q.queue));
    await until("all four playing", () => stateOf(seated[1]!)?.phase === "playing" && stateOf(seated[1]!).players.size === 4, 15_000);
    const team = teamOf(seated[1]!, players[0]!.playerId)!;
    await seated[0]!.leave(true);
    const r = redis().client();
    await until("the opening in Redis", async () => Object.keys(await r.hgetall(backfillKey("arena"))).length === 1, 10_000);
    await redis().kill();
    await redis().restart();
    await until("the opening written again", async () => Object.keys(await r.hgetall(backfillKey("arena")).catch(() => ({}))).length === 1, 15_000, 250);
    const joiner = await guest(nodes[0]!.url, `backfill-restart-joiner-${Math.random().toString(36).slice(2)}`);
    const joinerClient = sdkClientOf(nodes[0]!, joiner.token);
    const q = await joinQueue(joinerClient, { mode: "arena" });
    rooms.push(q.queue);
    const room = await acceptSeat(joinerClient, q, 30_000);
    rooms.push(room);
    assert.equal(room.roomId, seated[1]!.roomId, "seated in the running match");
    await until("the joiner on the leaver's team", () => teamOf(seated[1]!, joiner.playerId) === team, 10_000);
  });

  it("a leaver's seat on one node is filled by a player queued on the other; the host's SIGKILL drops the opening and loses no waiting ticket", async () => {
    const [A] = nodes;
    const players = await Promise.all([0, 1, 2, 3].map((i) => guest(A!.url, `backfill-cluster-${i}-${Math.random().toString(36).slice(2)}`)));
    const clients = players.map((p, i) => sdkClientOf(nodes[i % 2]!, p.token));
    const queued: Queued[] = [];
    for (const c of clients) queued.push(await joinQueue(c, { mode: "arena" }));
    const seated = await Promise.all(queued.map((q, i) => acceptSeat(clients[i]!, q, 30_000)));
    rooms.push(...seated, ...queued.map((q) => q.queue));
    assert.equal(new Set(seated.map((r) => r.roomId)).size, 1, "one match");
    await until("all four playing", () => stateOf(seated[1]!)?.phase === "playing" && stateOf(seated[1]!).players.size === 4, 15_000);

    const host = nodes.find((n) => n.port === Number(new URL(seated[0]!.connection.url!).port))!;
    const other = nodes.find((n) => n !== host)!;
    console.log(`      match on :${host.port}; arena leader: ${(await leadsMode(host, "arena")) ? "the host" : (await leadsMode(other, "arena")) ? "the other node" : "none yet"}`);
    const leaver = players[0]!;
    const team = teamOf(seated[1]!, leaver.playerId)!;
    // the leaver's client dies for good: its seat opens once the 2 s reconnection window is over
    seated[0]!.reconnection.enabled = false;
    await seated[0]!.leave(false);

    const joiner = await guest(other.url, `backfill-cluster-joiner-${Math.random().toString(36).slice(2)}`);
    const joinerClient = sdkClientOf(other, joiner.token);
    const q = await joinQueue(joinerClient, { mode: "arena" });
    rooms.push(q.queue);
    const room = await acceptSeat(joinerClient, q, 30_000);
    rooms.push(room);
    assert.equal(room.roomId, seated[1]!.roomId, "seated in the running match");
    assert.equal(Number(new URL(room.connection.url!).port), host.port, "connected to the room on the host");
    await until("the joiner on the leaver's team", () => teamOf(seated[1]!, joiner.playerId) === team, 10_000);
    assert.equal(stateOf(seated[1]!).phase, "playing");

    // another seat opens on the host, a player waits on the other node, and the host dies
    const r = redis().client();
    await seated[1]!.leave(true);
    await until("the opening in Redis", async () => Object.keys(await r.hgetall(backfillKey("arena"))).length === 1, 10_000);
    const waiting = await guest(other.url, `backfill-cluster-waiting-${Math.random().toString(36).slice(2)}`);
    // nothing else in the cluster can take the seat before the kill: stop the match's host first
    await host.stop("SIGKILL");
    const wq = await joinQueue(sdkClientOf(other, waiting.token), { mode: "arena" });
    rooms.push(wq.queue);
    await until("the dead host's opening dropped", async () => Object.keys(await r.hgetall(backfillKey("arena"))).length === 0, NODE_TTL_MS * 4 + 10_000, 200);
    const before = wq.statuses.length;
    await until("the waiting ticket still searching", () => wq.statuses.length > before && wq.statuses.at(-1)?.state === "searching", 10_000);
    const seat = await within(wq.seat, 3000, "seat").then(() => "seat", () => "none");
    assert.equal(seat, "none", "not seated into a dead match");
  });

});
