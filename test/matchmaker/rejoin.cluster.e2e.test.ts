/**
 * Issue #15 item 2, two real Rally processes over one private redis-server: a player whose client
 * died asks the node that does not host its match (`GET /v1/matches/current`, `POST
 * /v1/matches/current/seat`) and takes its seat back in the room on the other node; when the hosting
 * node is SIGKILLed, `current` answers null as soon as the registry's live view drops the node (its
 * TTL), and the player can queue again. Official @colyseus/sdk clients.
 */
import assert from "node:assert/strict";
import { currentMatchResponseSchema, rejoinResponseSchema, type CurrentMatch } from "../../protocol/index.ts";
import { guest, sdkClientOf, useCluster, type NodeHandle } from "../support/processes.ts";
import { acceptSeat, arenaStateOf, joinQueue, until, type Queued } from "../support/matchmaker-e2e.ts";
import { refusedWith } from "../support/refusal.ts";

const JWT_SECRET = "mm-rejoin-cluster-secret-0123456789-abcdefghij";
const NODE_TTL_MS = 3000;

const stateOf = arenaStateOf;

describe("rejoin a live match (two processes over Redis)", function () {
  this.timeout(120_000);
  const { nodes, rooms } = useCluster(2, { JWT_SECRET, MM_LEASE_TTL_MS: "2000", NODE_TTL_MS: String(NODE_TTL_MS), RECONNECT_WINDOW_S: "60" });

  const clientOf = sdkClientOf;
  const current = async (node: NodeHandle, token: string): Promise<CurrentMatch | null> => {
    const res = await fetch(`${node.url}/v1/matches/current`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return currentMatchResponseSchema.parse(await res.json()).match;
  };

  it("asks the node that does not host the match and rejoins the room on the other; SIGKILL of the host: no match at once, the player queues again", async () => {
    const [A] = nodes;
    const players = await Promise.all([0, 1, 2, 3].map((i) => guest(A!.url, `rejoin-cluster-${i}-${Math.random().toString(36).slice(2)}`)));
    const clients = players.map((p, i) => clientOf(nodes[i % 2]!, p.token));
    const queued: Queued[] = [];
    for (const c of clients) queued.push(await joinQueue(c, { mode: "arena" }));
    const seated = await Promise.all(queued.map((q, i) => acceptSeat(clients[i]!, q, 30_000)));
    rooms.push(...seated);
    assert.equal(new Set(seated.map((r) => r.roomId)).size, 1, "one match");
    await until("all four in the match", () => stateOf(seated[1]!)?.players?.size === 4, 15_000);

    const hostPort = Number(new URL(seated[0]!.connection.url!).port);
    const host = nodes.find((n) => n.port === hostPort)!;
    const other = nodes.find((n) => n !== host)!;
    const [p0] = players;
    const room0 = seated[0]!;
    const team0 = stateOf(seated[1]!).players.get(room0.sessionId)!.team;

    // p0's client dies; the reinstalled app reaches the node that does not host the match
    room0.reconnection.enabled = false;
    await room0.leave(false);
    await assert.rejects(joinQueue(clientOf(other, p0!.token), { mode: "arena" }), refusedWith("MM_ALREADY_IN_MATCH"));
    const match = await current(other, p0!.token);
    assert.ok(match);
    assert.equal(match.roomId, room0.roomId);
    assert.equal(match.team, team0, "the room on the other node answered for the seat");
    assert.equal(match.seatHeld, true);

    const seatRes = await fetch(`${other.url}/v1/matches/current/seat`, { method: "POST", headers: { authorization: `Bearer ${p0!.token}` } });
    assert.equal(seatRes.status, 200);
    const { seat } = rejoinResponseSchema.parse(await seatRes.json());
    assert.equal(seat.kind, "reconnect");
    if (seat.kind !== "reconnect") return;
    // another player of the cluster cannot use it, through either node
    const stranger = await guest(other.url, `rejoin-cluster-stranger-${Math.random().toString(36).slice(2)}`);
    await assert.rejects(clientOf(other, stranger.token).reconnect(seat.reconnectionToken), refusedWith("ROOM_RECONNECT_REFUSED"));
    const back = await clientOf(other, p0!.token).reconnect(seat.reconnectionToken);
    rooms.push(back);
    back.onMessage("*", () => undefined);
    assert.equal(back.sessionId, room0.sessionId, "the same session");
    assert.equal(Number(new URL(back.connection.url!).port), host.port, "connected to the room on the hosting node");
    await until("p0's state synced", () => stateOf(back)?.players?.get(back.sessionId) !== undefined);
    assert.equal(stateOf(back).players.get(back.sessionId)!.team, team0);

    // the hosting node dies: as soon as the registry's live view drops it, the match is gone
    const killedAt = Date.now();
    await host.stop("SIGKILL");
    await until("no current match", async () => (await current(other, p0!.token)) === null, NODE_TTL_MS * 3, 100);
    const goneAfterMs = Date.now() - killedAt;
    console.log(`      current null ${goneAfterMs} ms after the SIGKILL (NODE_TTL_MS ${NODE_TTL_MS})`);
    assert.ok(goneAfterMs <= NODE_TTL_MS * 2 + 1000, `gone within the registry's live view (${goneAfterMs} ms)`);
    const again = await joinQueue(clientOf(other, p0!.token), { mode: "arena" });
    rooms.push(again.queue);
    await until("p0 searching again", () => again.statuses.some((s) => s.state === "searching"));
    // the other players too (their records went the same way, or with the reaper)
    const p1 = players[1]!;
    await until("p1 in no match", async () => (await current(other, p1.token)) === null, NODE_TTL_MS * 3, 100);
  });
});
