/**
 * Ticket transitions as tables: every (phase, transition) pair is allowed or refused as the state
 * map says (pinned here by hand, so a change to the map is a change to this table), on memory
 * stores: an allowed step leaves the stores in the phase it leads to, a refused one throws
 * MM_ILLEGAL_TRANSITION and writes nothing. Then seating and no-show outcomes over the service
 * (who is requeued with the original enqueue time, who is released, who plays on with bots).
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  allowed, atFault, createMatchmakerMetrics, decideProposal, LocalLease, MemoryProposalStore, makeTicket, MatchmakerService, MemoryPartyDirectory, MemoryPlayerIndex, MemoryTicketStore,
  noShowOutcome, parseModeRules, phaseOf, statusStateOf, TICKET_TRANSITIONS, TicketLifecycle, TicketLifecycleError, TicketPhase,
  type Bus, type ProposalStore, type RoomApi, type SeatNotice, type Ticket, type TicketHandle, type TicketTransition,
} from "../../matchmaker/index.ts";

const PHASES = ["queued", "searching", "claimed", "proposed", "seated", "requeued", "done", "cancelled"] as const satisfies readonly TicketPhase[];

// Rows: transitions; columns: the phases above, in order. Y: allowed, .: refused.
const EXPECTED: Record<TicketTransition, string> = {
  //        qu se cl pr st rq dn cx
  queue:    ".  .  .  .  .  .  .  .",
  search:   "Y  .  .  .  .  .  .  .",
  refresh:  ".  Y  .  .  .  .  .  .",
  restore:  ".  Y  .  .  .  .  .  .",
  claim:    ".  Y  .  .  .  .  .  .",
  propose:  ".  .  Y  .  .  .  .  .",
  accept:   ".  .  .  Y  .  .  .  .",
  withdraw: ".  .  .  Y  .  .  .  .",
  decline:  ".  .  .  Y  .  .  .  .",
  seat:     ".  .  Y  .  .  .  .  .",
  requeue:  ".  .  Y  .  Y  .  .  .",
  sendBack: ".  .  .  .  Y  .  .  .",
  resume:   ".  Y  .  .  .  Y  .  .",
  release:  ".  .  .  .  Y  .  .  .",
  finish:   ".  .  Y  .  Y  Y  .  .",
  cancel:   "Y  Y  .  .  .  Y  .  .",
};

describe("ticket lifecycle: the state map", () => {
  it("every (phase, transition) pair is allowed or refused as the table says", () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), Object.keys(TICKET_TRANSITIONS).sort(), "one row per transition");
    assert.deepEqual([...PHASES].sort(), Object.values(TicketPhase).sort(), "one column per phase");
    for (const [transition, row] of Object.entries(EXPECTED) as [TicketTransition, string][]) {
      const cells = row.split(/\s+/);
      PHASES.forEach((phase, k) => assert.equal(allowed(phase, transition), cells[k] === "Y", `${transition} from ${phase}`));
    }
  });

  it("the stores' states read as one phase, and a phase as one status state", () => {
    const cases: Array<[Parameters<typeof phaseOf>[0], Parameters<typeof phaseOf>[1], TicketPhase | undefined]> = [
      [undefined, undefined, undefined],
      [undefined, { state: "queued" }, "queued"],
      [undefined, { state: "matched" }, "done"],
      [{ state: "waiting" }, { state: "queued" }, "searching"],
      [{ state: "waiting" }, undefined, "searching"],
      [{ state: "matched" }, { state: "matched" }, "seated"],
      [{ state: "matched" }, undefined, "seated"],
      [{ state: "matched" }, { state: "requeue" }, "requeued"],
      [{ state: "cancelled" }, { state: "queued" }, "cancelled"],
    ];
    for (const [stored, record, phase] of cases) assert.equal(phaseOf(stored, record), phase, JSON.stringify({ stored, record }));
    assert.deepEqual([undefined, ...PHASES].map(statusStateOf), ["gathering", "searching", "searching", "matched", "proposed", "matched", "searching", "matched", "cancelled"]);
  });
});

describe("ticket lifecycle: every transition from every phase, on memory stores", () => {
  let clock = 1_000_000;
  const now = () => clock;
  const rules = parseModeRules({ name: "duo", teams: 2, teamSize: 2 });
  let seq = 0;

  function setup() {
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    const life = new TicketLifecycle({ store, players, rulesOf: (m) => (m === "duo" ? rules : undefined) });
    return { store, players, life };
  }
  type S = ReturnType<typeof setup>;

  /** A party of two (so `release` can let one go and keep the other) brought to `phase` through the lifecycle. */
  async function reach(s: S, phase: TicketPhase): Promise<TicketHandle> {
    const id = `t${++seq}`;
    const ticket = makeTicket({ id, mode: "duo", playerIds: [`${id}.a`, `${id}.b`], playerRatings: [1500, 1500], region: "eu", latencies: {}, enqueuedAt: clock - 5000 });
    let h = await s.life.queue(ticket, ticket.playerIds.map((playerId) => ({ playerId, name: playerId })), clock, "node-1");
    if (phase === "queued") return h;
    h = await s.life.search(h);
    if (phase === "searching") return h;
    if (phase === "cancelled") { await s.life.cancel(h); return { ...h, phase }; }
    [h] = (await s.life.claim([h], "duo", h.shard, `m-${id}`, ++seq, clock, "leader")).claimed;
    if (phase === "claimed") return h;
    if (phase === "proposed") return s.life.propose(h, 30_000, clock);
    h = await s.life.seat(h, "host-1", clock);
    if (phase === "seated") return h;
    if (phase === "done") { await s.life.finish(h); return { ...h, phase }; }
    return s.life.sendBack(h, ticket.playerIds, 60_000, clock);
  }

  const step: Record<Exclude<TicketTransition, "queue">, (s: S, h: TicketHandle) => Promise<unknown>> = {
    search: (s, h) => s.life.search(h),
    refresh: (s, h) => s.life.refresh(h, clock),
    restore: (s, h) => s.life.restore(h, h.ticket.playerIds.map((playerId) => ({ playerId, name: playerId })), clock),
    claim: (s, h) => s.life.claim([h], "duo", h.shard, "m-new", 1e9, clock, "leader"),
    propose: (s, h) => s.life.propose(h, 30_000, clock),
    accept: (s, h) => s.life.accept(h, clock),
    withdraw: (s, h) => s.life.withdraw(h, clock),
    decline: (s, h) => s.life.decline(h),
    seat: (s, h) => s.life.seat(h, "host-2", clock),
    requeue: (s, h) => s.life.requeue(h, clock),
    sendBack: (s, h) => s.life.sendBack(h, h.ticket.playerIds, 60_000, clock),
    resume: (s, h) => s.life.resume(h, clock, "node-2"),
    release: (s, h) => s.life.release(h, [h.ticket.playerIds[0]!]),
    finish: (s, h) => s.life.finish(h),
    cancel: (s, h) => s.life.cancel(h),
  };
  /** What the stores say after an allowed step (claimed reads as seated; finished and cancelled tickets are gone). */
  const STORED_AFTER: Record<Exclude<TicketTransition, "queue">, TicketPhase | undefined> = {
    search: "searching", refresh: "searching", restore: "searching", claim: "seated", seat: "seated", requeue: "searching",
    // proposed and claimed read as seated (ticket and records matched); a declined ticket is gone
    propose: "seated", accept: "seated", withdraw: "searching", decline: undefined,
    sendBack: "requeued", resume: "searching", release: "seated", finish: undefined, cancel: undefined,
  };

  const snapshot = async (s: S, t: Ticket) => ({ stored: await s.store.get(t.id), records: await Promise.all(t.playerIds.map((p) => s.players.get(p))) });

  for (const transition of Object.keys(step) as Exclude<TicketTransition, "queue">[]) {
    it(`${transition}: allowed from ${TICKET_TRANSITIONS[transition].from.join(", ")}; refused (nothing written) from the rest`, async () => {
      for (const phase of PHASES) {
        const s = setup();
        const h = await reach(s, phase);
        const before = await snapshot(s, h.ticket);
        if (!allowed(phase, transition)) {
          await assert.rejects(step[transition](s, h), (e: unknown) => e instanceof TicketLifecycleError && e.code === "MM_ILLEGAL_TRANSITION" && e.detail.from === phase, `${transition} from ${phase}`);
          assert.deepEqual(await snapshot(s, h.ticket), before, `${transition} from ${phase} wrote nothing`);
          continue;
        }
        await step[transition](s, h);
        const after = await snapshot(s, h.ticket);
        // the kept player's record speaks for the ticket (release lets the first one go)
        assert.equal(phaseOf(after.stored, after.records[1]), STORED_AFTER[transition], `${transition} from ${phase}`);
        if (after.stored) assert.equal(after.stored.ticket.enqueuedAt, h.ticket.enqueuedAt, "the original enqueue time is kept");
      }
    });
  }

  it("claim is all or nothing and fenced; a cancel that loses the race to a claim changes nothing", async () => {
    const s = setup();
    const a = await reach(s, "searching");
    const b = await reach(s, "searching");
    const first = await s.life.claim([a], "duo", a.shard, "m1", 5, clock, "leader");
    assert.equal(first.result.ok, true);
    const stale = await s.life.claim([b], "duo", b.shard, "m2", 4, clock, "leader");
    assert.deepEqual(stale, { result: { ok: false, reason: "stale-fence" }, claimed: [] });
    assert.equal((await s.players.get(b.ticket.playerIds[0]!))?.state, "queued", "records untouched by a refused claim");
    // a's room cancels with its old (searching) handle while the leader claimed it: the claim wins
    assert.equal(await s.life.cancel(a), false);
    assert.equal((await s.store.get(a.ticket.id))?.state, "matched");
    assert.equal((await s.players.get(a.ticket.playerIds[0]!))?.matchId, "m1");
  });

  it("queue refuses a player holding another ticket, with the code of where that ticket is", async () => {
    const s = setup();
    const h = await reach(s, "searching");
    const other = makeTicket({ id: "other", mode: "duo", playerIds: [h.ticket.playerIds[0]!], playerRatings: [1500], region: "eu", latencies: {}, enqueuedAt: clock });
    await assert.rejects(s.life.queue(other, [{ playerId: other.playerIds[0]!, name: "x" }], clock), (e: unknown) => e instanceof TicketLifecycleError && e.code === "MM_ALREADY_QUEUED");
    await s.life.claim([h], "duo", h.shard, "m", 1e9, clock, "leader");
    await assert.rejects(s.life.queue(other, [{ playerId: other.playerIds[0]!, name: "x" }], clock), (e: unknown) => e instanceof TicketLifecycleError && e.code === "MM_ALREADY_IN_MATCH");
  });
});

// --- seating and no-show over the service ------------------------------------------------------

const silent = { info() {}, warn() {}, debug() {} };

function fakeBus() {
  const published: Array<{ topic: string; data: SeatNotice }> = [];
  const bus: Bus = {
    publish: (topic, data) => { published.push({ topic, data: data as SeatNotice }); },
    async hset() { return true; },
    async hgetall() { return {}; },
  };
  return { bus, published };
}

type Placement = "ok" | "no-node" | "create-failed" | "reserve-failed";

function fakeRooms(placement: Placement) {
  const disposed: string[] = [];
  let n = 0;
  const api: RoomApi = {
    async createRoom() {
      if (placement === "no-node") throw new Error("NO_NODE_AVAILABLE: no ready node");
      if (placement === "create-failed") throw new Error("ROOM_WRONG_NODE: placed elsewhere");
      return { roomId: `r${++n}`, processId: "room-node" };
    },
    async reserveMultipleSeatsFor(_l, seats) { return seats.map((_, i) => placement !== "reserve-failed" || i % 2 === 0); },
    buildSeatReservation: (l, sessionId) => ({ name: "arena", roomId: l.roomId, processId: "room-node", sessionId }),
    async disposeRoom(id) { disposed.push(id); },
    async matchAlive() { return true; },
    newSessionId: () => `s${++n}`,
  };
  return { api, disposed };
}

describe("ticket lifecycle over the service: seating and no-show outcomes", () => {
  let clock = 7_000_000;
  const now = () => clock;
  // 2v2 without bots: a party of two (A) against two solos (B, C)
  const duo = parseModeRules({ name: "duo", teams: 2, teamSize: 2 });

  async function matched(placement: Placement = "ok") {
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    const rooms = fakeRooms(placement);
    const { bus, published } = fakeBus();
    const service = new MatchmakerService({
      modes: { duo: { rules: duo, room: "arena" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms: rooms.api, bus,
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now, queueGraceS: 10,
    });
    const enqueuedAt: Record<string, number> = {};
    for (const [name, members, waitedS] of [["A", ["a1", "a2"], 9], ["B", ["b"], 7], ["C", ["c"], 5]] as const) {
      clock -= waitedS * 1000;
      const h = await service.prepareTicket({ mode: "duo", members: members.map((playerId) => ({ playerId, name: playerId, latencies: {} })) });
      clock += waitedS * 1000;
      await service.listTicket(h);
      enqueuedAt[name] = h.ticket.enqueuedAt;
    }
    await service.tick(clock);
    const ticketOf = async (p: string) => (await players.get(p))?.ticketId;
    return { store, players, service, rooms, published, enqueuedAt, ticketOf };
  }

  const SEATING: Array<{ placement: Placement; ticket: "matched" | "waiting"; record: "matched" | "queued"; host?: string; notice: SeatNotice["kind"]; reason?: string; disposed: number }> = [
    { placement: "ok", ticket: "matched", record: "matched", host: "room-node", notice: "seat", disposed: 0 },
    { placement: "no-node", ticket: "waiting", record: "queued", notice: "requeued", reason: "no-node", disposed: 0 },
    { placement: "create-failed", ticket: "waiting", record: "queued", notice: "requeued", reason: "create-failed", disposed: 0 },
    { placement: "reserve-failed", ticket: "waiting", record: "queued", notice: "requeued", reason: "reserve-failed", disposed: 1 },
  ];
  for (const row of SEATING) {
    it(`seating, placement ${row.placement}: tickets ${row.ticket}, records ${row.record}, notice ${row.notice}`, async () => {
      const s = await matched(row.placement);
      for (const [name, p] of [["A", "a1"], ["A", "a2"], ["B", "b"], ["C", "c"]] as const) {
        const rec = (await s.players.get(p))!;
        const stored = (await s.store.get(rec.ticketId))!;
        assert.equal(stored.state, row.ticket, `${p}'s ticket`);
        assert.equal(stored.ticket.enqueuedAt, s.enqueuedAt[name], "original enqueue time");
        assert.equal(rec.state, row.record, `${p}'s record`);
        assert.equal(rec.host, row.host, `${p}'s host`);
      }
      assert.equal(s.published.length, 3, "one notice per ticket");
      for (const n of s.published) {
        assert.equal(n.data.kind, row.notice);
        if (n.data.kind === "requeued") assert.equal(n.data.reason, row.reason);
        else if (n.data.kind === "seat") assert.deepEqual(Object.keys(n.data.seats).length >= 1, true);
        else assert.fail(`unexpected notice ${n.data.kind}`);
      }
      assert.equal(s.rooms.disposed.length, row.disposed);
    });
  }

  // per player after the no-show: "requeue" (sent back: resumes its ticket), "matched" (plays on), null (released, may queue anew)
  const NO_SHOW: Array<{ name: string; present: string[]; missing: string[]; requeue: boolean; after: Record<string, "requeue" | "matched" | null>; gone: string[] }> = [
    { name: "no bots, a solo missing: everyone else is sent back", present: ["a1", "a2", "b"], missing: ["c"], requeue: true,
      after: { a1: "requeue", a2: "requeue", b: "requeue", c: null }, gone: ["C"] },
    { name: "no bots, half a party missing: the party is dropped whole", present: ["a1", "b", "c"], missing: ["a2"], requeue: true,
      after: { a1: null, a2: null, b: "requeue", c: "requeue" }, gone: ["A"] },
    { name: "bots fill: the missing are released, the present play on", present: ["a1", "a2", "b"], missing: ["c"], requeue: false,
      after: { a1: "matched", a2: "matched", b: "matched", c: null }, gone: ["C"] },
    { name: "bots fill half a party: the present member plays, the ticket stays", present: ["a1", "b", "c"], missing: ["a2"], requeue: false,
      after: { a1: "matched", a2: null, b: "matched", c: "matched" }, gone: [] },
  ];
  for (const row of NO_SHOW) {
    it(`no-show: ${row.name}`, async () => {
      const s = await matched();
      const tickets = { A: await s.ticketOf("a1"), B: await s.ticketOf("b"), C: await s.ticketOf("c") };
      const matchId = (await s.players.get("a1"))!.matchId!;
      await s.service.noShow({ matchId, mode: "duo", present: row.present, missing: row.missing, requeue: row.requeue });
      for (const [p, state] of Object.entries(row.after)) assert.equal((await s.players.get(p))?.state ?? null, state, p);
      for (const [name, id] of Object.entries(tickets)) {
        const stored = await s.store.get(id!);
        assert.equal(stored === undefined, row.gone.includes(name), `ticket ${name} ${row.gone.includes(name) ? "gone" : "kept"}`);
      }
      // a sent-back player's rejoin resumes its ticket at the front: original enqueue time
      const resumedGroups = new Set<string>();
      for (const [p, state] of Object.entries(row.after)) {
        if (state !== "requeue" || resumedGroups.has(p[0]!)) continue;
        resumedGroups.add(p[0]!);
        assert.deepEqual(await s.service.blocking(p), { code: "resume", ticketId: await s.ticketOf(p) });
        const members = Object.entries(row.after).filter(([q]) => q[0] === p[0]).map(([playerId]) => ({ playerId, name: playerId, latencies: {} }));
        const resumed = await s.service.listTicket(await s.service.prepareTicket({ mode: "duo", members }));
        assert.equal(resumed.phase, "searching");
        assert.equal(resumed.ticket.enqueuedAt, s.enqueuedAt[p[0]!.toUpperCase()]);
        assert.equal((await s.store.get(resumed.ticket.id))?.state, "waiting");
      }
      // the released may queue anew
      for (const [p, state] of Object.entries(row.after)) if (state === null) assert.equal(await s.service.blocking(p), null, p);
    });
  }

  it("the no-show outcome table", () => {
    // present, missing, requeue -> outcome
    const rows: Array<[number, number, boolean, ReturnType<typeof noShowOutcome>]> = [
      [0, 1, true, "drop"], [0, 2, false, "drop"], [1, 0, true, "sendBack"], [2, 1, true, "drop"], [1, 1, false, "play"], [2, 0, false, "play"],
    ];
    for (const [present, missing, requeue, outcome] of rows) assert.equal(noShowOutcome(present, missing, requeue), outcome, `${present}/${missing}/${requeue}`);
  });
});

// --- accept or decline (modes with acceptS) ----------------------------------------------------

describe("ticket lifecycle over the service: match proposals (acceptS)", () => {
  let clock = 9_000_000;
  const now = () => clock;
  // 2v2 without bots, 5 s to accept, 30 s cooldown: a party of two (A) against two solos (B, C)
  const duo = parseModeRules({ name: "duo", teams: 2, teamSize: 2, acceptS: 5, declineCooldownS: 30 });

  /** Two services over one set of stores: `leader` forms the match, `other` is another node (a queue room's). */
  async function proposed() {
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    const memory = new MemoryProposalStore(now);
    // `lose()`: the proposal store forgets every proposal (a Redis that lost its data)
    let lost = false;
    const proposals: ProposalStore = {
      open: (p, ttl) => memory.open(p, ttl), answer: (...a) => memory.answer(...a), cooldown: (...a) => memory.cooldown(...a), cooldownUntil: (...a) => memory.cooldownUntil(...a),
      get: async (id) => (lost ? undefined : memory.get(id)), settle: async (id, o) => (lost ? undefined : memory.settle(id, o)),
    };
    const lose = () => { lost = true; };
    const rooms = fakeRooms("ok");
    const { bus, published } = fakeBus();
    const make = () => new MatchmakerService({
      modes: { duo: { rules: duo, room: "arena" } }, store, players, proposals, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms: rooms.api, bus,
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now, queueGraceS: 10,
    });
    const leader = make(), other = make();
    const enqueuedAt: Record<string, number> = {};
    const ids: Record<string, string> = {};
    for (const [name, members, waitedS] of [["A", ["a1", "a2"], 9], ["B", ["b"], 7], ["C", ["c"], 5]] as const) {
      clock -= waitedS * 1000;
      const h = await leader.prepareTicket({ mode: "duo", members: members.map((playerId) => ({ playerId, name: playerId, latencies: {} })) });
      clock += waitedS * 1000;
      await leader.listTicket(h);
      enqueuedAt[name] = h.ticket.enqueuedAt;
      ids[name] = h.ticket.id;
    }
    await leader.tick(clock);
    const matchId = (await players.get("a1"))!.matchId!;
    return { store, players, proposals, leader, other, published, enqueuedAt, ids, matchId, rooms, lose };
  }

  it("a formed match is proposed, not seated: a proposal notice per ticket, no room yet, records matched (the player is still queueing)", async () => {
    const s = await proposed();
    assert.equal(s.published.length, 3);
    for (const n of s.published) {
      assert.equal(n.data.kind, "proposal");
      if (n.data.kind !== "proposal") continue;
      assert.deepEqual({ ...n.data, matchId: "" }, { kind: "proposal", matchId: "", mode: "duo", acceptS: 5, players: 4, deadlineMs: clock + 5000 });
    }
    for (const id of Object.values(s.ids)) assert.equal((await s.store.get(id))?.state, "matched");
    assert.equal((await s.players.get("b"))?.state, "matched");
    assert.deepEqual(await s.leader.blocking("b"), { code: "MM_ALREADY_QUEUED", ticketId: s.ids.B });
    assert.deepEqual((await s.proposals.get(s.matchId))?.players.slice().sort(), ["a1", "a2", "b", "c"]);
  });

  // answers (a: accept, d: decline, -: none), when the leader settles (s after the proposal), per ticket after
  const ROWS: Array<{ name: string; answers: Record<string, "a" | "d" | "-">; atS: number; outcome: "accepted" | "declined" | "timeout"; after: Record<"A" | "B" | "C", "seated" | "waiting" | "gone">; cooldown: string[] }> = [
    { name: "everyone accepts: provisioned and seated", answers: { a1: "a", a2: "a", b: "a", c: "a" }, atS: 1, outcome: "accepted",
      after: { A: "seated", B: "seated", C: "seated" }, cooldown: [] },
    { name: "b declines early: only b's ticket ends; the accepted and the not-yet-answered wait again", answers: { a1: "a", a2: "-", b: "d", c: "a" }, atS: 1, outcome: "declined",
      after: { A: "waiting", B: "gone", C: "waiting" }, cooldown: ["b"] },
    { name: "a party member declines: the party's ticket ends, only the decliner is cooled down", answers: { a1: "a", a2: "d", b: "a", c: "a" }, atS: 1, outcome: "declined",
      after: { A: "gone", B: "waiting", C: "waiting" }, cooldown: ["a2"] },
    { name: "the deadline passes: tickets with a missing answer end (their silent players cooled down), the others wait again", answers: { a1: "a", a2: "-", b: "a", c: "-" }, atS: 5, outcome: "timeout",
      after: { A: "gone", B: "waiting", C: "gone" }, cooldown: ["a2", "c"] },
    { name: "nobody answers before the deadline: every ticket ends", answers: { a1: "-", a2: "-", b: "-", c: "-" }, atS: 6, outcome: "timeout",
      after: { A: "gone", B: "gone", C: "gone" }, cooldown: ["a1", "a2", "b", "c"] },
  ];
  for (const row of ROWS) {
    for (const settler of ["leader", "queue room (leader dead)"] as const) {
      it(`${row.name} [settled by the ${settler}]`, async () => {
        const s = await proposed();
        const t0 = clock;
        for (const [p, a] of Object.entries(row.answers)) if (a !== "-") assert.equal(await s.other.answerProposal(s.matchId, p, a === "a" ? "accept" : "decline"), "ok");
        s.published.length = 0;
        clock = t0 + row.atS * 1000;
        if (settler === "leader") await s.leader.tick(clock);
        else {
          if (row.outcome !== "accepted") clock = t0 + 5000 + 2000; // the room's fallback waits past the deadline
          await s.leader.stop(); // its pending proposals are gone with it
          for (const id of Object.values(s.ids)) {
            const stored = (await s.store.get(id))!;
            await s.other.settleProposalFor({ ticket: stored.ticket, phase: "proposed", shard: stored.shard, matchId: s.matchId });
          }
        }
        if (settler === "leader" || row.outcome !== "accepted") assert.equal((await s.proposals.get(s.matchId))?.outcome, row.outcome);
        if (settler !== "leader" && row.outcome === "accepted") return; // a room never provisions: only the leader does
        for (const [name, want] of Object.entries(row.after)) {
          const stored = await s.store.get(s.ids[name]!);
          const got = !stored ? "gone" : stored.state === "waiting" ? "waiting" : "seated";
          assert.equal(got, want, `ticket ${name}`);
          if (stored) assert.equal(stored.ticket.enqueuedAt, s.enqueuedAt[name], "original enqueue time");
          const members = name === "A" ? ["a1", "a2"] : [name.toLowerCase()];
          for (const p of members) {
            const rec = await s.players.get(p);
            assert.equal(rec?.state ?? null, want === "gone" ? null : want === "waiting" ? "queued" : "matched", `${p}'s record`);
            if (want === "waiting") assert.equal(rec?.host, undefined, `${p}: no host once waiting`);
          }
        }
        for (const p of ["a1", "a2", "b", "c"]) {
          const until = await s.leader.cooldownOf(p);
          assert.equal(until !== null, row.cooldown.includes(p), `${p}'s cooldown`);
          if (until !== null) assert.equal(until, clock + 30_000);
        }
        const kinds = s.published.map((n) => n.data.kind).sort();
        const expectKinds = Object.values(row.after).map((a) => (a === "seated" ? "seat" : a === "waiting" ? "requeued" : "dropped")).sort();
        assert.deepEqual(kinds, expectKinds, "one notice per ticket");
        for (const n of s.published) if (n.data.kind === "dropped") assert.equal(n.data.reason, row.outcome === "declined" ? "PROPOSAL_DECLINED" : "PROPOSAL_TIMEOUT");
        // settling again (the other settler, late) changes nothing
        const snapshot = await Promise.all(Object.values(s.ids).map((id) => s.store.get(id)));
        for (const id of Object.values(s.ids)) {
          const stored = await s.store.get(id);
          if (stored) await s.other.dropProposal({ ticket: stored.ticket, phase: "proposed", shard: stored.shard, matchId: s.matchId }, await s.proposals.get(s.matchId), row.outcome);
        }
        assert.deepEqual(await Promise.all(Object.values(s.ids).map((id) => s.store.get(id))), snapshot);
      });
    }
  }

  it("answers: the first is final, none after settling, only the proposal's players", async () => {
    const s = await proposed();
    assert.equal(await s.other.answerProposal(s.matchId, "b", "accept"), "ok");
    assert.equal(await s.other.answerProposal(s.matchId, "b", "decline"), "answered");
    assert.equal(await s.other.answerProposal(s.matchId, "stranger", "accept"), "unknown");
    assert.equal(await s.other.answerProposal("m_nope", "b", "accept"), "unknown");
    assert.equal(await s.other.answerProposal(s.matchId, "c", "decline"), "ok");
    await s.leader.tick(clock + 250);
    assert.equal(await s.other.answerProposal(s.matchId, "a1", "accept"), "closed");
  });

  it("a proposal the store lost blames nobody: every ticket waits again", async () => {
    const s = await proposed();
    s.lose();
    await s.leader.tick(clock + 250);
    for (const id of Object.values(s.ids)) assert.equal((await s.store.get(id))?.state, "waiting");
    for (const p of ["a1", "a2", "b", "c"]) assert.equal(await s.leader.cooldownOf(p), null);
  });

  it("decideProposal and atFault as tables", () => {
    const base = { players: ["x", "y"], deadlineMs: 100 };
    const rows: Array<[Record<string, "accept" | "decline">, number, ReturnType<typeof decideProposal>]> = [
      [{}, 50, undefined], [{ x: "accept" }, 50, undefined], [{ x: "accept", y: "accept" }, 50, "accepted"], [{ x: "accept", y: "accept" }, 200, "accepted"],
      [{ y: "decline" }, 50, "declined"], [{ x: "accept", y: "decline" }, 200, "declined"], [{ x: "accept" }, 100, "timeout"], [{}, 200, "timeout"],
    ];
    for (const [answers, at, want] of rows) assert.equal(decideProposal({ ...base, answers }, at), want, JSON.stringify({ answers, at }));
    assert.deepEqual(atFault({ answers: { x: "decline" } }, "declined", ["x", "y"]), ["x"]);
    assert.deepEqual(atFault({ answers: { x: "accept" } }, "timeout", ["x", "y"]), ["y"]);
    assert.deepEqual(atFault({ answers: { x: "accept" } }, "declined", ["x", "y"]), []);
    assert.deepEqual(atFault({ answers: {} }, "accepted", ["x", "y"]), []);
  });
});
