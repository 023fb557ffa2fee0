/**
 * Custom ticket attributes and match hooks (matchmaker/attributes.ts, matcher.ts): the queue edge's
 * validation, the party rule, `equal` / `overlap` / `distance` as tables over a 1v1 and a 2v2 pool,
 * the hook's reject / tie-break / call cap, and a fast-check property: a hook never sees a ticket of
 * another mode or shard (the leader's real passes over a memory store), and a candidate it rejected
 * is never formed.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import { Registry } from "prom-client";
import {
  commonAttributes, createMatchmakerMetrics, LocalLease, makeTicket, MatchmakerService, MemoryPartyDirectory, MemoryPlayerIndex, MemoryTicketStore,
  parseModeRules, parseTicketAttributes, partyAttributes, runPass, shardOf, Matcher,
  type Bus, type MatchCandidate, type ModeRulesInput, type RoomApi, type Ticket,
} from "../../matchmaker/index.ts";
import { isRallyError } from "../../protocol/index.ts";

const MAPS = ["dust", "port", "mill", "keep", "reef", "vale"] as const;
const schema = z.object({
  map: z.array(z.enum(MAPS)).max(5).optional(),
  device: z.enum(["pad", "kbm"]).optional(),
  language: z.string().max(8).optional(),
  level: z.number().int().min(0).max(100).optional(),
});

function rules(extra: Partial<ModeRulesInput> = {}, teamSize = 1) {
  return parseModeRules({ name: "maps", teams: 2, teamSize, attributes: schema, ...extra });
}

let seq = 0;
function ticket(attributes: Record<string, unknown> | undefined, o: { rating?: number; at?: number; mode?: string; region?: string; size?: number } = {}): Ticket {
  const id = `t${++seq}`;
  const size = o.size ?? 1;
  return makeTicket({
    id, mode: o.mode ?? "maps", playerIds: Array.from({ length: size }, (_, k) => `${id}.p${k}`), playerRatings: Array.from({ length: size }, () => o.rating ?? 1500),
    region: o.region ?? "eu", latencies: {}, enqueuedAt: o.at ?? 0, ...(attributes ? { attributes: attributes as never } : {}),
  });
}

const codeOf = (f: () => unknown): string => {
  try { f(); } catch (e) { if (isRallyError(e)) return e.code; throw e; }
  return "none";
};

describe("ticket attributes: the queue edge", () => {
  const r = rules();
  it("parses what the mode's schema accepts", () => {
    assert.deepEqual(parseTicketAttributes(r, { map: ["dust", "port"], device: "pad" }), { map: ["dust", "port"], device: "pad" });
    assert.equal(parseTicketAttributes(r, undefined), undefined, "nothing sent, nothing required");
  });
  it("refuses server-owned keys inside attributes (MM_FORBIDDEN_OPTION)", () => {
    for (const key of ["rating", "region", "team", "playerId", "mmr"]) assert.equal(codeOf(() => parseTicketAttributes(r, { [key]: 1 })), "MM_FORBIDDEN_OPTION", key);
  });
  it("refuses values the schema does not take, naming the attribute (MM_BAD_ATTRIBUTES)", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ map: ["atlantis"] }, /attributes\.map\.0/],
      [{ device: "wheel" }, /attributes\.device/],
      [{ language: "a-very-long-language" }, /attributes\.language/],
      [{ map: ["dust", "port", "mill", "keep", "reef", "vale"] }, /attributes\.map/],
      ["pad", /attributes must be an object/],
      [["pad"], /attributes must be an object/],
    ];
    for (const [raw, msg] of cases) {
      assert.throws(() => parseTicketAttributes(r, raw), (e: unknown) => isRallyError(e) && e.code === "MM_BAD_ATTRIBUTES" && msg.test(e.message), JSON.stringify(raw));
    }
  });
  it("a mode without attributes refuses any (MM_BAD_ATTRIBUTES), and required attributes must be sent", () => {
    const plain = parseModeRules({ name: "plain", teams: 2, teamSize: 1 });
    assert.equal(codeOf(() => parseTicketAttributes(plain, { device: "pad" })), "MM_BAD_ATTRIBUTES");
    assert.equal(parseTicketAttributes(plain, undefined), undefined);
    const strict = parseModeRules({ name: "strict", teams: 2, teamSize: 1, attributes: z.object({ device: z.enum(["pad", "kbm"]) }) });
    assert.throws(() => parseTicketAttributes(strict, undefined), /attributes\.device/);
  });
  it("bounds what a ticket carries (keys, size)", () => {
    const wide = parseModeRules({ name: "wide", teams: 2, teamSize: 1, attributes: z.object({}).catchall(z.string()) });
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, k) => [`k${k}`, "v"]));
    assert.equal(codeOf(() => parseTicketAttributes(wide, many)), "MM_BAD_ATTRIBUTES");
    assert.equal(codeOf(() => makeTicket({ id: "x", mode: "m", playerIds: ["p"], playerRatings: [1], region: "eu", enqueuedAt: 0, attributes: { s: "x".repeat(2000) } })), "MM_INVALID_TICKET");
  });
  it("a party's members must send the same attributes", () => {
    assert.deepEqual(partyAttributes([{ device: "pad" }, { device: "pad" }]), { device: "pad" });
    assert.equal(partyAttributes([undefined, undefined]), undefined);
    assert.throws(() => partyAttributes([{ device: "pad" }, { device: "kbm" }]), (e: unknown) => isRallyError(e) && e.code === "MM_BAD_ATTRIBUTES" && /attributes\.device/.test(e.message));
    assert.throws(() => partyAttributes([{ map: ["dust"] }, undefined]), /attributes\.map/);
  });
});

describe("ticket attributes: the service makes the ticket", () => {
  const silent = { info() {}, warn() {}, debug() {} };
  const setup = () => {
    const now = () => 1_000;
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    const rooms: RoomApi = {
      async createRoom() { return { roomId: "r", processId: "p" }; }, async reserveMultipleSeatsFor(_l, seats) { return seats.map(() => true); },
      buildSeatReservation: (l, sessionId) => ({ name: "maps", roomId: l.roomId, processId: "p", sessionId }), async disposeRoom() {}, async matchAlive() { return false; }, newSessionId: () => "s",
    };
    const bus: Bus = { publish() {}, async hset() { return 1; }, async hgetall() { return {}; } };
    const svc = new MatchmakerService({
      modes: { maps: { rules: rules({ attributeRules: { map: "overlap" } }), room: "maps" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(),
      rooms, bus, metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now,
    });
    return { svc, players };
  };
  const member = (playerId: string, attributes?: Record<string, unknown>) => ({ playerId, name: playerId, latencies: {}, ...(attributes ? { attributes: attributes as never } : {}) });

  it("a party whose members agree gets one ticket with their attributes", async () => {
    const { svc } = setup();
    const h = await svc.prepareTicket({ mode: "maps", partyId: "p1", members: [member("a", { map: ["dust"] }), member("b", { map: ["dust"] })] });
    assert.deepEqual(h.ticket.attributes, { map: ["dust"] });
  });

  it("a party whose members disagree is refused (MM_BAD_ATTRIBUTES) and takes no record", async () => {
    const { svc, players } = setup();
    await assert.rejects(svc.prepareTicket({ mode: "maps", partyId: "p1", members: [member("a", { map: ["dust"] }), member("b", { map: ["port"] })] }),
      (e: unknown) => isRallyError(e) && e.code === "MM_BAD_ATTRIBUTES" && /attributes\.map/.test(e.message));
    assert.equal(await players.get("a"), undefined);
    assert.equal(await players.get("b"), undefined);
  });
});

describe("attribute rules in the pass (tables)", () => {
  type Row = { what: string; rule: NonNullable<ModeRulesInput["attributeRules"]>; a?: Record<string, unknown>; b?: Record<string, unknown>; waitS?: number; match: boolean; common?: Record<string, unknown> };
  const rows: Row[] = [
    { what: "equal: same device", rule: { device: "equal" }, a: { device: "pad" }, b: { device: "pad" }, match: true, common: { device: "pad" } },
    { what: "equal: different devices", rule: { device: "equal" }, a: { device: "pad" }, b: { device: "kbm" }, match: false },
    { what: "equal: absent is a value of its own", rule: { device: "equal" }, a: {}, b: { device: "kbm" }, match: false },
    { what: "equal: both absent", rule: { device: "equal" }, a: {}, b: {}, match: true, common: {} },
    { what: "overlap: shared maps", rule: { map: "overlap" }, a: { map: ["dust", "port", "mill"] }, b: { map: ["mill", "port"] }, match: true, common: { map: ["port", "mill"] } },
    { what: "overlap: disjoint maps", rule: { map: "overlap" }, a: { map: ["dust"] }, b: { map: ["port"] }, match: false },
    { what: "overlap: absent means any", rule: { map: "overlap" }, a: { map: ["reef"] }, b: {}, match: true, common: { map: ["reef"] } },
    { what: "overlap: empty means any", rule: { map: "overlap" }, a: { map: [] }, b: { map: ["keep"] }, match: true, common: { map: ["keep"] } },
    { what: "distance: within", rule: { level: { distance: 5 } }, a: { level: 10 }, b: { level: 15 }, match: true },
    { what: "distance: too far", rule: { level: { distance: 5 } }, a: { level: 10 }, b: { level: 16 }, match: false },
    { what: "distance: widens with wait (2 + 1/s, 4 s: 6)", rule: { level: { distance: { start: 2, widenPerS: 1, max: 10 } } }, a: { level: 10 }, b: { level: 16 }, waitS: 4, match: true },
    { what: "distance: not yet wide enough (3 s: 5)", rule: { level: { distance: { start: 2, widenPerS: 1, max: 10 } } }, a: { level: 10 }, b: { level: 16 }, waitS: 3, match: false },
    { what: "distance: capped at max", rule: { level: { distance: { start: 2, widenPerS: 1, max: 10 } } }, a: { level: 0 }, b: { level: 11 }, waitS: 100, match: false },
    { what: "all three at once", rule: { device: "equal", map: "overlap", level: { distance: 3 } }, a: { device: "kbm", map: ["vale", "dust"], level: 3 }, b: { device: "kbm", map: ["dust"], level: 5 }, match: true, common: { device: "kbm", map: ["dust"] } },
  ];
  for (const row of rows) {
    it(row.what, () => {
      const r = rules({ attributeRules: row.rule });
      const now = (row.waitS ?? 0) * 1000;
      const pool = [ticket(row.a, { at: 0 }), ticket(row.b, { at: 0 })];
      const { matches } = runPass(pool, now, r, { matcher: new Matcher() });
      assert.equal(matches.length, row.match ? 1 : 0);
      if (row.match && row.common) assert.deepEqual(matches[0]!.attributes, row.common);
    });
  }

  it("a mode without attribute rules forms what it formed before, and its matches carry no attributes", () => {
    const plain = parseModeRules({ name: "maps", teams: 2, teamSize: 1 });
    const { matches } = runPass([ticket({ device: "pad" }), ticket({ device: "kbm" })], 0, plain, { matcher: new Matcher() });
    assert.equal(matches.length, 1);
    assert.equal(matches[0]!.attributes, undefined);
  });

  it("2v2: the whole lobby shares a map, not just pairs; the others wait", () => {
    const r = rules({ attributeRules: { map: "overlap" } }, 2);
    // dust+port, port+mill, mill+dust: every pair overlaps, the three have nothing in common
    const pool = [ticket({ map: ["dust", "port"] }), ticket({ map: ["port", "mill"] }), ticket({ map: ["mill", "dust"] }), ticket({ map: ["port"] }), ticket({ map: ["port", "keep"] })];
    const { matches } = runPass(pool, 0, r, { matcher: new Matcher() });
    assert.equal(matches.length, 1);
    const ids = matches[0]!.teams.flatMap((t) => t.tickets.map((x) => x.id)).sort();
    assert.deepEqual(ids, [pool[0]!.id, pool[1]!.id, pool[3]!.id, pool[4]!.id].sort());
    assert.deepEqual(matches[0]!.attributes, { map: ["port"] });
    assert.deepEqual(commonAttributes(r, pool.slice(0, 3)), { map: [] });
  });

  it("equal buckets: each bucket matches on its own, ids stay unique across buckets, big buckets keep their matcher", () => {
    const r = rules({ attributeRules: { device: "equal" } });
    const pool: Ticket[] = [];
    for (let k = 0; k < 600; k++) pool.push(ticket({ device: k % 3 === 0 ? "kbm" : "pad" }, { rating: 1500 + (k % 50), at: k }));
    const m = new Matcher();
    const first = m.pass(pool, 10_000, r);
    assert.equal(first.matches.length, 300);
    assert.equal(new Set(first.matches.map((x) => x.matchId)).size, 300);
    for (const x of first.matches) {
      const devices = new Set(x.teams.flatMap((t) => t.tickets.map((tk) => tk.attributes?.device)));
      assert.equal(devices.size, 1);
    }
    m.pass(pool, 10_000, r);
    assert.ok(m.lastCacheHits >= 400, `the pad bucket (400 tickets) found its fields again: ${m.lastCacheHits}`);
  });
});

describe("match hooks", () => {
  it("a rejected candidate is never formed; the anchor's other candidates are offered", () => {
    const seen: string[][] = [];
    const r = rules({ hook: { score: (c) => { const ids = c.teams.flatMap((t) => t.tickets.map((x) => x.id)).sort(); seen.push(ids); return ids.includes(pool[1]!.id) ? "reject" : 0; } } });
    const pool = [ticket(undefined, { rating: 1500, at: 0 }), ticket(undefined, { rating: 1501, at: 1 }), ticket(undefined, { rating: 1510, at: 2 })];
    const { matches, hookCalls } = runPass(pool, 1000, r, { matcher: new Matcher() });
    assert.equal(matches.length, 1);
    assert.deepEqual(matches[0]!.teams.flatMap((t) => t.tickets.map((x) => x.id)).sort(), [pool[0]!.id, pool[2]!.id].sort());
    assert.ok(hookCalls! >= 2 && seen.length === hookCalls);
  });

  it("among candidates of near-equal balance the higher score wins; a much worse gap never wins on score", () => {
    const pool = [ticket(undefined, { rating: 1500, at: 0 }), ticket({ language: "fr" }, { rating: 1502, at: 1 }), ticket({ language: "de" }, { rating: 1503, at: 2 })];
    const prefer = (lang: string) => rules({ hook: { score: (c: MatchCandidate) => (c.teams.some((t) => t.tickets.some((x) => x.attributes?.language === lang)) ? 10 : 1) } });
    const ids = (r: ReturnType<typeof rules>) => runPass(pool, 1000, r, { matcher: new Matcher() }).matches[0]!.teams.flatMap((t) => t.tickets.map((x) => x.id)).sort();
    assert.deepEqual(ids(prefer("de")), [pool[0]!.id, pool[2]!.id].sort(), "gap 3 vs 2: tied, score picks de");
    assert.deepEqual(ids(prefer("fr")), [pool[0]!.id, pool[1]!.id].sort());
    const strictTies = rules({ hook: { score: (c: MatchCandidate) => (c.teams.some((t) => t.tickets.some((x) => x.attributes?.language === "de")) ? 10 : 1), tieGap: 0.5 } });
    assert.deepEqual(ids(strictTies), [pool[0]!.id, pool[1]!.id].sort(), "outside tieGap the matcher's balance decides");
  });

  it("calls per pass are capped; past the cap anchors wait (nothing unseen is formed)", () => {
    let calls = 0;
    const r = rules({ hook: { score: () => { calls++; return 0; }, maxCallsPerPass: 5, candidatesPerAnchor: 1 } });
    const pool = Array.from({ length: 40 }, (_, k) => ticket(undefined, { rating: 1500 + k, at: k }));
    const { matches, hookCalls } = runPass(pool, 1000, r, { matcher: new Matcher() });
    assert.equal(calls, 5);
    assert.equal(hookCalls, 5);
    assert.equal(matches.length, 5, "one match per call, and none beyond");
  });

  it("a hook that throws rejects that candidate; the pass goes on", () => {
    const pool = [ticket(undefined, { at: 0 }), ticket(undefined, { at: 1 }), ticket(undefined, { at: 2 }), ticket(undefined, { at: 3 })];
    const r = rules({ hook: { score: (c) => { if (c.teams.some((t) => t.tickets.some((x) => x.id === pool[0]!.id))) throw new Error("boom"); return 0; }, candidatesPerAnchor: 1 } });
    const res = runPass(pool, 1000, r, { matcher: new Matcher() });
    assert.ok(res.hookErrors! >= 1);
    assert.equal(res.matches.length, 1, "the others still match");
    assert.ok(!res.matches[0]!.teams.some((t) => t.tickets.some((x) => x.id === pool[0]!.id)), "no candidate whose call threw is formed");
  });

  it("the candidate is read-only", () => {
    let threw = false;
    const r = rules({ hook: { score: (c) => { try { (c.teams as unknown[]).push(1); } catch { threw = true; } return 0; } } });
    runPass([ticket(undefined), ticket(undefined)], 0, r, { matcher: new Matcher() });
    assert.ok(threw);
  });
});

describe("match hooks: property (fast-check)", function () {
  this.timeout(120_000);
  const SHARDS = { eu: ["eu-west", "eu-north"], na: ["us-east"] };
  const REGIONS = ["eu-west", "eu-north", "us-east", "ap"];
  const silent = { info() {}, warn() {}, debug() {} };
  /** A pure verdict of the ticket set: the same candidate gets the same answer in every pass. */
  const rejects = (ids: readonly string[]) => {
    let h = 7;
    for (const c of [...ids].sort().join(",")) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return h % 3 === 0;
  };

  it("hooks see only their mode's and their shard's tickets, and a rejected candidate is never formed", async () => {
    const totals = { formed: 0, rejected: 0 };
    const ticketArb = fc.record({
      mode: fc.constantFrom("m1", "m2"), region: fc.constantFrom(...REGIONS), rating: fc.integer({ min: 1400, max: 1600 }),
      size: fc.constantFrom(1, 1, 1, 2), at: fc.integer({ min: 0, max: 60_000 }),
      map: fc.subarray([...MAPS], { minLength: 0, maxLength: 4 }), device: fc.constantFrom("pad", "pad", "pad", "kbm"),
      roam: fc.constantFrom(true, true, true, false),
    });
    await fc.assert(fc.asyncProperty(fc.array(ticketArb, { minLength: 2, maxLength: 120, size: "max" }), fc.integer({ min: 1, max: 4 }), async (specs, passes) => {
      const violations: string[] = [];
      const rejected = new Set<string>();
      const hookFor = (mode: string) => ({
        score: (c: MatchCandidate) => {
          const tickets = c.teams.flatMap((t) => t.tickets);
          for (const t of tickets) {
            if (t.mode !== mode || c.mode !== mode) violations.push(`${mode} hook saw a ${t.mode} ticket`);
            if (shardOf(modes[mode]!.rules, t.region) !== c.shard) violations.push(`${mode}/${c.shard} hook saw a ticket of ${t.region}`);
          }
          const ids = tickets.map((t) => t.id).sort();
          if (rejects(ids)) { rejected.add(ids.join(",")); return "reject"; }
          return ids.length;
        },
        maxCallsPerPass: 50,
      });
      const spec = (mode: string) => parseModeRules({
        name: mode, teams: 2, teamSize: 2, shards: SHARDS, attributes: schema, attributeRules: { map: "overlap", device: "equal" },
        regions: { steps: [{ afterS: 5, maxLatencyMs: 300 }] }, hook: hookFor(mode),
      });
      const modes: Record<string, { rules: ReturnType<typeof spec>; room: string }> = { m1: { rules: spec("m1"), room: "arena" }, m2: { rules: spec("m2"), room: "arena" } };
      let clock = 60_000;
      const now = () => clock;
      const store = new MemoryTicketStore(now);
      const players = new MemoryPlayerIndex(now);
      const created: string[][] = [];
      let n = 0;
      const rooms: RoomApi = {
        async createRoom(_room, options) { created.push((options.teams as string[][]).flat()); return { roomId: `r${++n}`, processId: "p" }; },
        async reserveMultipleSeatsFor(_l, seats) { return seats.map(() => true); },
        buildSeatReservation: (l, sessionId) => ({ name: "arena", roomId: l.roomId, processId: "p", sessionId }),
        async disposeRoom() {}, async matchAlive() { return true; }, newSessionId: () => `s${++n}`,
      };
      const bus: Bus = { publish() {}, async hset() { return 1; }, async hgetall() { return {}; } };
      const svc = new MatchmakerService({
        modes, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms, bus,
        metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu-west", knownRegions: async () => REGIONS,
        ratingOf: async () => 1500, now, queueGraceS: 3600,
      });
      const playerOf = new Map<string, string>();
      for (const [k, s] of specs.entries()) {
        const id = `t${k}`;
        const ids = Array.from({ length: s.size }, (_, j) => `${id}-p${j}`);
        for (const p of ids) playerOf.set(p, id);
        const latencies = s.roam ? Object.fromEntries(REGIONS.map((r) => [r, r === s.region ? 10 : 100])) : {};
        const t = makeTicket({ id, mode: s.mode, playerIds: ids, playerRatings: ids.map(() => s.rating), region: s.region, latencies, enqueuedAt: 60_000 - s.at,
          attributes: { map: s.map, device: s.device } });
        await players.take(ids.map((playerId) => ({ playerId, name: playerId })), id, clock);
        await store.add(t, shardOf(modes[s.mode]!.rules, s.region));
      }
      for (let p = 0; p < passes; p++) {
        await svc.tick(clock);
        clock += 1000;
      }
      assert.deepEqual(violations, []);
      totals.formed += created.length; totals.rejected += rejected.size;
      for (const players of created) {
        const ids = [...new Set(players.map((p) => playerOf.get(p)!))].sort();
        assert.ok(!rejected.has(ids.join(",")), `formed a rejected candidate: ${ids.join(",")}`);
      }
    }), { numRuns: 60, seed: 0x15a77 });
    // not vacuous: the runs formed matches and the hooks rejected candidates
    assert.ok(totals.formed > 20 && totals.rejected > 10, JSON.stringify(totals));
  });

  it("a pass over a pool of several modes shows each hook only its mode (runPass)", () => {
    fc.assert(fc.property(fc.array(fc.record({ mode: fc.constantFrom("maps", "other"), rating: fc.integer({ min: 1400, max: 1600 }), device: fc.constantFrom("pad", "kbm") }), { maxLength: 80, size: "max" }), (specs) => {
      const bad: string[] = [];
      const formedRejected: string[] = [];
      const rejectedSets = new Set<string>();
      const r = rules({
        attributeRules: { device: "equal" },
        hook: { score: (c) => {
          const ids = c.teams.flatMap((t) => t.tickets.map((x) => { if (x.mode !== "maps") bad.push(x.id); return x.id; })).sort().join(",");
          if (ids.length % 2 === 0) { rejectedSets.add(ids); return "reject"; }
          return 1;
        } },
      });
      const pool = specs.map((s, k) => ticket({ device: s.device }, { mode: s.mode, rating: s.rating, at: k }));
      const { matches } = runPass(pool, 5000, r, { matcher: new Matcher() });
      for (const m of matches) {
        const ids = m.teams.flatMap((t) => t.tickets.map((x) => x.id)).sort().join(",");
        if (rejectedSets.has(ids)) formedRejected.push(ids);
      }
      assert.deepEqual(bad, []);
      assert.deepEqual(formedRejected, []);
    }), { numRuns: 200, seed: 42 });
  });
});
