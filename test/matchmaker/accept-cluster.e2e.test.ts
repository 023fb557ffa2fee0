/**
 * Accept or decline across two real Rally processes sharing one private redis-server: the players'
 * queue rooms are on different nodes, and the matcher leader is one of them, so a proposal's answers
 * cross nodes through the Redis proposal store. Both accept -> seated in one room. Then the leader is
 * SIGKILLed mid-proposal: the player queued on the survivor, who had accepted, is not stranded: its
 * queue room settles the proposal after the deadline and the ticket waits again with its original
 * enqueue time.
 */
import assert from "node:assert/strict";
import type { Client, Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { guest, printNodesOnFailure, sdkClientOf, startClusterNodes, startRedis, type NodeHandle, type RedisHandle } from "../support/processes.ts";
import { acceptSeat, joinQueue, leadsMode, until, within, type Queued } from "../support/matchmaker-e2e.ts";
import type { ProposalNotice } from "../../protocol/index.ts";

const JWT_SECRET = "mm-accept-cluster-secret-0123456789-abcdefghij";
const MODE = "duel-accept";


describe("matchmaker e2e (two processes over Redis): accept or decline", function () {
  this.timeout(120_000);
  let redis: RedisHandle | undefined;
  let r: Redis;
  const nodes: NodeHandle[] = [];
  const rooms: Room[] = [];
  let A: NodeHandle;
  let B: NodeHandle;

  before(async () => {
    redis = await startRedis();
    r = new Redis(redis.url);
    [A, B] = await startClusterNodes(2, redis.url, { JWT_SECRET, MM_LEASE_TTL_MS: "2000" }, "test/support/fixtures/accept-node.ts");
    nodes.push(A, B);
  });

  after(async () => {
    await Promise.allSettled(rooms.map((x) => (x.connection?.isOpen ? x.leave(true) : undefined)));
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    r?.disconnect();
    await redis?.stop();
  });

  afterEach(printNodesOnFailure(nodes));

  const clientOf = sdkClientOf;

  async function queueOn(node: NodeHandle, deviceId: string): Promise<{ client: Client; q: Queued; proposal: Promise<ProposalNotice> }> {
    const p = await guest(A.url, deviceId);
    const client = clientOf(node, p.token);
    const q = await joinQueue(client, { mode: MODE });
    rooms.push(q.queue);
    const proposal = new Promise<ProposalNotice>((resolve) => q.queue.onMessage("proposal", resolve));
    return { client, q, proposal };
  }

  it("players queued on different nodes both accept -> seated in one room", async () => {
    const a = await queueOn(A, "accept-cluster-a");
    await until("a searching", () => a.q.statuses.some((s) => s.state === "searching"));
    const b = await queueOn(B, "accept-cluster-b");
    assert.notEqual(new URL(a.q.queue.connection.url!).port, new URL(b.q.queue.connection.url!).port, "queue rooms on both nodes");
    const [pa, pb] = await within(Promise.all([a.proposal, b.proposal]), 20_000, "both proposals");
    assert.equal(pa.matchId, pb.matchId);
    // the proposal lives in Redis, where both nodes read and write it
    assert.ok(await r.exists(`rally:mm:proposal:${pa.matchId}`));
    a.q.queue.send("accept", { matchId: pa.matchId });
    b.q.queue.send("accept", { matchId: pb.matchId });
    const seated = await Promise.all([acceptSeat(a.client, a.q, 30_000), acceptSeat(b.client, b.q, 30_000)]);
    rooms.push(...seated);
    assert.equal(seated[0].roomId, seated[1].roomId, "one match room for both");
    assert.equal(await r.hget(`rally:mm:proposal:${pa.matchId}`, "o"), "accepted");
  });

  it("the leader dies mid-proposal: the survivor's accepted ticket waits again (original enqueue time), nothing stranded", async () => {
    await until("a leader for duel-accept", async () => (await leadsMode(A, MODE)) !== (await leadsMode(B, MODE)), 20_000);
    const [leader, survivor] = (await leadsMode(A, MODE)) ? [A, B] : [B, A];
    const s = await queueOn(survivor, "accept-cluster-survivor");
    await until("survivor searching", () => s.q.statuses.some((x) => x.state === "searching"));
    const survivorId = (await guest(A.url, "accept-cluster-survivor")).playerId;
    const ticketId = await until("the survivor's record in Redis", async () => (await r.hget(`rally:mm:p:${survivorId}`, "ticketId")) ?? undefined);
    const enqueuedAt = Number(await r.hget(`rally:mm:t:${ticketId}`, "enq"));
    assert.ok(enqueuedAt > 0);
    const l = await queueOn(leader, "accept-cluster-on-leader");
    const ps = await within(s.proposal, 20_000, "the survivor's proposal");
    s.q.queue.send("accept", { matchId: ps.matchId });
    await until("the accept recorded", async () => (await r.hget(`rally:mm:proposal:${ps.matchId}`, `a:${survivorId}`)) === "accept");
    await leader.stop("SIGKILL");
    void l;
    // after the deadline (+ the room's fallback), the survivor searches again with its original enqueue time
    const again = await until("the survivor searching again", () => {
      const i = s.q.statuses.findIndex((x) => x.state === "proposed");
      return i >= 0 ? s.q.statuses.slice(i).find((x) => x.state === "searching") : undefined;
    }, 30_000);
    assert.ok((again.waitedMs as number) >= 3000, `waitedMs ${String(again.waitedMs)} counts from the original enqueue`);
    assert.ok(s.q.queue.connection.isOpen, "still in the queue");
    // the ticket is waiting in the store again (restored if the dead leader's records were reaped first)
    await until("the ticket waiting in Redis", async () => (await r.hget(`rally:mm:t:${ticketId}`, "state")) === "waiting", 20_000);
    assert.equal(Number(await r.hget(`rally:mm:t:${ticketId}`, "enq")), enqueuedAt, "original enqueue time");
  });
});
