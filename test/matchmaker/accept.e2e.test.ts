/**
 * Accept or decline, end to end on one process with official @colyseus/sdk clients: a mode with
 * `acceptS` proposes a formed match (`proposal`) before any seat. Everyone accepts -> `seat` ->
 * match; a decline or a missing answer drops it: the players not at fault wait again with their
 * original enqueue time (their `status` waitedMs goes on), the decliner (or the silent player) is
 * cancelled and refused MM_COOLDOWN. Bad answers get `error` and change nothing. The SDK's
 * `queue()` answers through `onProposal`.
 */
import assert from "node:assert/strict";
import type { Client, Room as SdkRoom } from "@colyseus/sdk";
import { ArenaRoom, arenaModes } from "../../examples/arena/index.ts";
import { defineGame } from "../../server/index.ts";
import { queue } from "../../client-sdk/queue.ts";
import { RallyRoomError } from "../../client-sdk/errors.ts";
import { acceptSeat, joinQueue, startMmNode, until, within, type MmNode, type Queued } from "../support/matchmaker-e2e.ts";
import { decodeRefusal, proposalNoticeSchema, type ProposalNotice } from "../../protocol/index.ts";
import { refusedWith } from "../support/refusal.ts";

const ACCEPT_S = 2;

describe("matchmaker e2e (one process): accept or decline", function () {
  this.timeout(60_000);
  let t: MmNode;
  const open: SdkRoom[] = [];

  before(async () => {
    t = await startMmNode({}, {
      games: {
        arena: defineGame({
          room: ArenaRoom,
          // 1v1 without bots that asks both players to accept within 2 s; a decline costs 30 s of queueing
          modes: { ...arenaModes, "duel-accept": { teams: 2, teamSize: 1, acceptS: ACCEPT_S, declineCooldownS: 30 } },
        }),
      },
    });
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
  });
  after(async () => { await t?.close(); });

  interface Seeker { readonly client: Client; readonly playerId: string; readonly q: Queued; readonly proposal: Promise<ProposalNotice>; readonly errors: Array<{ code: string }> }

  async function seek(): Promise<Seeker> {
    const p = await t.player();
    const client = t.client(p.token);
    const q = await joinQueue(client, { mode: "duel-accept" });
    open.push(q.queue);
    const errors: Array<{ code: string }> = [];
    q.queue.onMessage("error", (e: { code: string }) => errors.push(e));
    const proposal = new Promise<ProposalNotice>((resolve) => q.queue.onMessage("proposal", resolve));
    return { client, playerId: p.playerId, q, proposal, errors };
  }

  /** Two players queue for the duel; both get the same proposal. */
  async function proposedPair(): Promise<[Seeker, Seeker, ProposalNotice]> {
    const a = await seek();
    await until("a's ticket searching", () => a.q.statuses.some((s) => s.state === "searching"));
    const b = await seek();
    const [pa, pb] = await within(Promise.all([a.proposal, b.proposal]), 10_000, "both proposals");
    assert.equal(pa.matchId, pb.matchId);
    return [a, b, pa];
  }

  it("everyone accepts: the proposal becomes seats and one match (bad answers first get `error` and change nothing)", async () => {
    const [a, b, proposal] = await proposedPair();
    proposalNoticeSchema.parse(proposal);
    assert.equal(proposal.mode, "duel-accept");
    assert.equal(proposal.acceptS, ACCEPT_S);
    assert.equal(proposal.players, 2);
    assert.ok(proposal.deadlineMs > Date.now() - 1000 && proposal.deadlineMs <= Date.now() + ACCEPT_S * 1000);
    await until("a `proposed` status", () => a.q.statuses.some((s) => s.state === "proposed"));

    // bad answers: no payload, another match's id, an unknown field -> `error`, nothing changes
    a.q.queue.send("accept");
    a.q.queue.send("accept", { matchId: "m_not-this-one" });
    a.q.queue.send("decline", { matchId: proposal.matchId, extra: 1 });
    await until("three errors", () => a.errors.length === 3);
    assert.deepEqual(a.errors.map((e) => e.code), ["INVALID_MESSAGE", "MM_NO_PROPOSAL", "INVALID_MESSAGE"]);

    a.q.queue.send("accept", { matchId: proposal.matchId });
    b.q.queue.send("accept", { matchId: proposal.matchId });
    const rooms = await Promise.all([acceptSeat(a.client, a.q), acceptSeat(b.client, b.q)]);
    open.push(...rooms);
    assert.equal(rooms[0].roomId, rooms[1].roomId, "one match room");
    // an answer after the fact is refused
    assert.ok(!a.errors.some((e) => e.code !== "INVALID_MESSAGE" && e.code !== "MM_NO_PROPOSAL"));
  });

  it("one declines: the other waits again with its original enqueue time; the decliner is cancelled and refused MM_COOLDOWN", async () => {
    const [a, b, proposal] = await proposedPair();
    const waitedBefore = Math.max(...a.q.statuses.filter((s) => s.state === "searching").map((s) => s.waitedMs as number));
    b.q.queue.send("decline", { matchId: proposal.matchId });
    a.q.queue.send("accept", { matchId: proposal.matchId });
    // the decliner: cancelled with the reason, its queue connection closed
    const bStatus = await until("b cancelled", () => b.q.statuses.find((s) => s.state === "cancelled"), 10_000);
    assert.equal(bStatus.reason, "PROPOSAL_DECLINED");
    await until("b's queue connection closed", () => !b.q.queue.connection.isOpen);
    // the accepter: searching again, its wait going on from the original enqueue time
    const again = await until("a searching again", () => {
      const i = a.q.statuses.findIndex((s) => s.state === "proposed");
      return i >= 0 ? a.q.statuses.slice(i).find((s) => s.state === "searching") : undefined;
    }, 10_000);
    assert.ok((again.waitedMs as number) >= waitedBefore, `waitedMs ${String(again.waitedMs)} continues from ${waitedBefore}`);
    assert.ok(a.q.queue.connection.isOpen, "the accepter stays in the queue");
    const later = await until("a later status", () => a.q.statuses.at(-1) !== again ? a.q.statuses.at(-1) : undefined, 5000);
    assert.ok((later.waitedMs as number) > (again.waitedMs as number));
    // the decliner may not queue for the cooldown
    const err = await joinQueue(b.client, { mode: "duel-accept" }).then(() => null, (e: unknown) => e);
    refusedWith("MM_COOLDOWN")(err);
    const retry = Number(decodeRefusal(err).details?.retryAfterS);
    assert.ok(retry > 20 && retry <= 30, `retry after ${retry} s`);
    // and the accepter is not cooled down: it still holds its ticket
    assert.equal(await t.node.matchmaker.cooldownOf(a.playerId), null);
  });

  it("nobody answers in time: the one who accepted waits again, the silent one is cancelled (PROPOSAL_TIMEOUT) and cooled down", async () => {
    const [a, b, proposal] = await proposedPair();
    a.q.queue.send("accept", { matchId: proposal.matchId });
    const bStatus = await until("b cancelled", () => b.q.statuses.find((s) => s.state === "cancelled"), 15_000);
    assert.equal(bStatus.reason, "PROPOSAL_TIMEOUT");
    assert.ok(Date.now() >= proposal.deadlineMs - 50, "not before the deadline");
    await until("a searching again", () => a.q.statuses.at(-1)?.state === "searching", 10_000);
    assert.ok(a.q.queue.connection.isOpen);
    await assert.rejects(joinQueue(b.client, { mode: "duel-accept" }), refusedWith("MM_COOLDOWN"));
    // answering the settled proposal is refused and changes nothing
    a.q.queue.send("accept", { matchId: proposal.matchId });
    await until("a refused answer", () => a.errors.some((e) => e.code === "MM_NO_PROPOSAL"));
    assert.equal(a.q.statuses.at(-1)?.state, "searching");
  });

  it("leaving the queue during a proposal declines it: the other waits again before the deadline; the leaver is cooled down", async () => {
    const [a, b, proposal] = await proposedPair();
    b.q.queue.send("accept", { matchId: proposal.matchId });
    await a.q.queue.leave(true);
    await until("b searching again", () => {
      const i = b.q.statuses.findIndex((s) => s.state === "proposed");
      return i >= 0 ? b.q.statuses.slice(i).find((s) => s.state === "searching") : undefined;
    }, 10_000);
    assert.ok(Date.now() < proposal.deadlineMs + 1000, "settled on the decline, not at the deadline");
    assert.ok(await t.node.matchmaker.cooldownOf(a.playerId));
    await assert.rejects(joinQueue(a.client, { mode: "duel-accept" }), refusedWith("MM_COOLDOWN"));
  });

  it("the SDK's queue() answers through onProposal and resolves with the match room", async () => {
    const [pa, pb] = [await t.player(), await t.player()];
    const seen: ProposalNotice[] = [];
    const go = (token: string) => queue(t.client(token), { mode: "duel-accept", onProposal: (p) => { seen.push(p); p.accept(); } });
    const rooms = await within(Promise.all([go(pa.token), go(pb.token)]), 15_000, "both matches");
    open.push(...rooms);
    assert.equal(rooms[0].roomId, rooms[1].roomId);
    assert.equal(seen.length, 2);
    // and a decline through the SDK rejects with its reason, then MM_COOLDOWN
    const [pc, pd] = [await t.player(), await t.player()];
    const c = queue(t.client(pc.token), { mode: "duel-accept", onProposal: (p) => p.decline() });
    const stop = new AbortController();
    const d = queue(t.client(pd.token), { mode: "duel-accept", onProposal: (p) => p.accept(), signal: stop.signal });
    await assert.rejects(c, (e: unknown) => e instanceof RallyRoomError && e.code === "PROPOSAL_DECLINED");
    await assert.rejects(queue(t.client(pc.token), { mode: "duel-accept" }), (e: unknown) => e instanceof RallyRoomError && e.code === "MM_COOLDOWN");
    stop.abort(); // d waits on alone (back in the queue) until it gives up
    await assert.rejects(d, (e: unknown) => e instanceof RallyRoomError && e.code === "MM_CANCELLED");
  });
});
