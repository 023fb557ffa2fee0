/**
 * One conformance suite for every Store implementation: the embedded SQLite store in memory and on
 * disk and PostgreSQL (a private server started by the suite, test/support/postgres.ts) always;
 * MongoDB (mongoose) whenever MONGO_URL is set (it needs a replica set for transactions).
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MatchResult } from "../../../rooms/index.ts";
import { createFileStore, createMemoryStore, createMongoStore, createPostgresStore, postgresSettings, type RatingRecord, type ResultPlan, type Store, type StoreHooks } from "../../../server/store/index.ts";
import { startPostgres, type PostgresHandle } from "../../support/postgres.ts";
import { tempDir } from "../../support/processes.ts";
import { loadConfig } from "../../../server/config.ts";

/** The PostgreSQL store's settings at their config defaults (server/config.ts). */
const PG = postgresSettings(loadConfig({}));

function result(matchId: string, overrides: Partial<MatchResult> = {}): MatchResult {
  return {
    matchId, roomName: "arena", region: "local", mode: null, outcome: "completed", reason: "score-limit",
    startedAt: 1_000, endedAt: 61_000, durationMs: 60_000,
    teams: [{ team: 0, score: 15, playerIds: ["a"] }, { team: 1, score: 3, playerIds: ["b"] }],
    players: [
      { playerId: "a", name: "A", team: 0, score: 15, present: true },
      { playerId: "b", name: "B", team: 1, score: 3, present: true },
    ],
    winnerTeam: 0,
    ...overrides,
  };
}

function rating(playerId: string, mu: number, extra: Partial<RatingRecord> = {}): RatingRecord {
  return { playerId, mode: "arena", mu, sigma: 8, mmr: mu * 10, wins: 0, losses: 0, draws: 0, matches: 0, updatedAt: 1, ...extra };
}

/** A simple plan: winner +1 mu, loser -1, history, a leaderboard row and 10 coins each. */
function plan(r: MatchResult): (current: ReadonlyMap<string, RatingRecord>) => ResultPlan {
  return (current) => {
    const ratings = r.players.map((p) => {
      const before = current.get(p.playerId) ?? rating(p.playerId, 25);
      const win = p.team === r.winnerTeam;
      return { ...before, mu: before.mu + (win ? 1 : -1), mmr: (before.mu + (win ? 1 : -1)) * 10, wins: before.wins + (win ? 1 : 0), losses: before.losses + (win ? 0 : 1), matches: before.matches + 1 };
    });
    return {
      ratings,
      history: r.players.map((p, i) => ({
        playerId: p.playerId, matchId: r.matchId, mode: "arena", endedAt: r.endedAt, team: p.team, score: p.score,
        outcome: p.team === r.winnerTeam ? "win" as const : "loss" as const, mmrBefore: null, mmrAfter: ratings[i].mmr,
      })),
      leaderboards: ratings.map((x) => ({ board: "rating.arena.s1", playerId: x.playerId, score: x.mmr, keep: "latest" as const })),
      rewards: r.players.map((p) => ({ playerId: p.playerId, items: { coins: 10 } })),
    };
  };
}

interface Opened { store: Store; reopen?: () => Promise<Store> }
interface Implementation {
  name: string;
  /** Has a reopen: the data outlives the process. */
  persists: boolean;
  open(hooks?: StoreHooks): Promise<Opened>;
  /** Starts and stops what the implementation needs (a database server) around its suite. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

let postgres: PostgresHandle | undefined;

const implementations: Implementation[] = [
  { name: "embedded (SQLite in memory)", persists: false, open: async (hooks) => ({ store: await createMemoryStore(hooks) }) },
  {
    name: "embedded (SQLite file)",
    persists: true,
    open: async (hooks) => {
      const dir = tempDir("rally-store-");
      return { store: await createFileStore(dir, hooks), reopen: () => createFileStore(dir) };
    },
  },
];
implementations.push({
  name: "PostgreSQL (private server)",
  persists: true,
  start: async () => { postgres = await startPostgres(); },
  stop: async () => postgres?.stop(),
  open: async (hooks) => {
    // A fresh database per test: the migrations run on each, as on a new deploy.
    const url = await postgres!.createDatabase();
    return { store: await createPostgresStore({ ...PG, url, hooks, partitions: 4 }), reopen: () => createPostgresStore({ ...PG, url, partitions: 4 }) };
  },
});
const MONGO_URL = process.env.MONGO_URL;
if (MONGO_URL) {
  let n = 0;
  implementations.push({
    name: "mongoose (MONGO_URL)",
    persists: true,
    open: async (hooks) => {
      const dbName = `rally_test_${process.pid}_${Date.now()}_${n++}`;
      return { store: await createMongoStore({ url: MONGO_URL, dbName, hooks }), reopen: () => createMongoStore({ url: MONGO_URL, dbName }) };
    },
  });
}

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: { code?: string }) => e.code === code || assert.fail(`expected ${code}, got ${String(e.code)}: ${String(e)}`));
}

for (const impl of implementations) {
  describe(`Store conformance: ${impl.name}`, () => {
    let store: Store;
    let reopen: (() => Promise<Store>) | undefined;
    let hookCalls: string[] = [];
    let failMid: string | null = null;
    const hooks: StoreHooks = {
      midResult(matchId) {
        hookCalls.push(matchId);
        if (matchId === failMid) throw new Error("injected store fault in the middle of a result");
      },
    };
    before(async function () {
      this.timeout(120_000);
      await impl.start?.();
    });
    after(async () => impl.stop?.());
    beforeEach(async () => {
      hookCalls = [];
      failMid = null;
      ({ store, reopen } = await impl.open(hooks));
    });
    afterEach(async () => store.close());

    describe("players and accounts", () => {
      it("a guest with a deviceId is the same player every time", async () => {
        const first = await store.players.guest("device-0001");
        const again = await store.players.guest("device-0001");
        assert.equal(again.id, first.id);
        assert.equal(again.name, first.name);
        assert.equal(first.deviceId, "device-0001");
        assert.notEqual((await store.players.guest("device-0002")).id, first.id);
      });

      it("a guest without a deviceId is a new player each time", async () => {
        const a = await store.players.guest();
        const b = await store.players.guest();
        assert.notEqual(a.id, b.id);
        assert.ok(a.name.length > 0);
        assert.ok(Number.isFinite(a.createdAt));
        assert.equal(a.deviceId, undefined);
      });

      it("gets a player by id (null when unknown) and several at once", async () => {
        const p = await store.players.guest("device-get-1");
        const q = await store.players.guest();
        assert.deepEqual(await store.players.get(p.id), p);
        assert.equal(await store.players.get("no-such-player"), null);
        assert.deepEqual((await store.players.getMany([q.id, "nope", p.id])).map((x) => x.id), [q.id, p.id]);
      });

      it("concurrent guests with one deviceId resolve to one player", async () => {
        const all = await Promise.all(Array.from({ length: 5 }, () => store.players.guest("device-race-1")));
        assert.equal(new Set(all.map((p) => p.id)).size, 1);
      });

      it("renames and bans (and lifts a ban); unknown players give null", async () => {
        const p = await store.players.guest();
        assert.equal((await store.players.rename(p.id, "New Name"))?.name, "New Name");
        assert.deepEqual((await store.players.setBan(p.id, { reason: "cheating", at: 5 }))?.banned, { reason: "cheating", at: 5 });
        assert.deepEqual((await store.players.get(p.id))?.banned, { reason: "cheating", at: 5 });
        assert.equal((await store.players.setBan(p.id, null))?.banned, undefined);
        assert.equal(await store.players.rename("ghost", "X"), null);
      });

      it("registers a username once, unique case-insensitively, and finds it in any case", async () => {
        const a = await store.players.guest();
        const b = await store.players.guest();
        const registered = await store.accounts.register(a.id, "Alice_1", "hash-a");
        assert.equal(registered.username, "Alice_1");
        await rejectsCode(store.accounts.register(b.id, "aLiCe_1", "hash-b"), "USERNAME_TAKEN");
        await rejectsCode(store.accounts.register(a.id, "another", "hash-a2"), "ALREADY_REGISTERED");
        await rejectsCode(store.accounts.register("ghost", "ghost", "h"), "NOT_FOUND");
        const found = await store.accounts.byUsername("ALICE_1");
        assert.equal(found?.player.id, a.id);
        assert.equal(found?.passwordHash, "hash-a");
        assert.equal(await store.accounts.byUsername("bob"), null);
        assert.equal((await store.players.get(b.id))?.username, undefined, "the refused upgrade changed nothing");
      });

      it("concurrent registrations of one username: exactly one wins", async () => {
        const players = await Promise.all(Array.from({ length: 4 }, () => store.players.guest()));
        const outcomes = await Promise.allSettled(players.map((p, i) => store.accounts.register(p.id, i % 2 ? "RACE" : "race", "h")));
        assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
      });
    });

    describe("platform identities", () => {
      it("the first sign-in with an identity creates a player; later ones find it", async () => {
        const first = await store.identities.signIn("google", "sub-1");
        assert.equal(first.created, true);
        assert.equal(first.player.deviceId, undefined);
        assert.equal(first.player.username, undefined);
        const again = await store.identities.signIn("google", "sub-1");
        assert.deepEqual(again, { player: first.player, created: false });
        assert.notEqual((await store.identities.signIn("apple", "sub-1")).player.id, first.player.id, "subjects are per provider");
        const found = await store.identities.find("google", "sub-1");
        assert.equal(found?.playerId, first.player.id);
        assert.equal(found?.provider, "google");
        assert.equal(found?.subject, "sub-1");
        assert.equal(await store.identities.find("google", "sub-2"), null);
        assert.deepEqual((await store.identities.list(first.player.id)).map((i) => [i.provider, i.subject]), [["google", "sub-1"]]);
      });

      it("concurrent first sign-ins with one identity resolve to one player", async () => {
        const all = await Promise.all(Array.from({ length: 8 }, () => store.identities.signIn("steam", "76561190000000001")));
        assert.equal(new Set(all.map((r) => r.player.id)).size, 1);
        assert.equal(all.filter((r) => r.created).length, 1);
      });

      it("links to a player once; one identity maps to one player; one identity per provider per player", async () => {
        const a = await store.players.guest("dev-link-a");
        const b = await store.players.guest("dev-link-b");
        const linked = await store.identities.link(a.id, "google", "g-a");
        assert.deepEqual([linked.playerId, linked.provider, linked.subject], [a.id, "google", "g-a"]);
        assert.equal(typeof linked.linkedAt, "number");
        assert.deepEqual(await store.identities.link(a.id, "google", "g-a"), linked, "linking again is a no-op");
        await rejectsCode(store.identities.link(b.id, "google", "g-a"), "IDENTITY_TAKEN");
        await rejectsCode(store.identities.link(a.id, "google", "g-other"), "PROVIDER_ALREADY_LINKED");
        await rejectsCode(store.identities.link("nobody", "google", "g-x"), "NOT_FOUND");
        await store.identities.link(a.id, "steam", "7656");
        assert.deepEqual((await store.identities.list(a.id)).map((i) => i.provider), ["google", "steam"]);
        assert.deepEqual(await store.identities.list(b.id), []);
        assert.equal((await store.identities.signIn("google", "g-a")).player.id, a.id, "a linked identity signs into its player");
      });

      it("an identity a sign-in created cannot be linked to anyone else", async () => {
        const { player } = await store.identities.signIn("apple", "ap-1");
        const other = await store.players.guest();
        await rejectsCode(store.identities.link(other.id, "apple", "ap-1"), "IDENTITY_TAKEN");
        assert.equal((await store.identities.find("apple", "ap-1"))?.playerId, player.id);
      });

      it("concurrent links of one identity to two players: exactly one wins", async () => {
        const a = await store.players.guest(), b = await store.players.guest();
        const outcomes = await Promise.allSettled([store.identities.link(a.id, "google", "race"), store.identities.link(b.id, "google", "race")]);
        assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
        const lost = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
        assert.equal((lost.reason as { code?: string }).code, "IDENTITY_TAKEN");
      });

      it("unlinks, but never the last way in (a username counts, a device id does not)", async () => {
        const { player } = await store.identities.signIn("google", "u-1");
        await rejectsCode(store.identities.unlink(player.id, "google"), "LAST_SIGN_IN_METHOD");
        await rejectsCode(store.identities.unlink(player.id, "steam"), "IDENTITY_NOT_LINKED");
        await store.identities.link(player.id, "steam", "u-1-steam");
        const gone = await store.identities.unlink(player.id, "google");
        assert.deepEqual([gone.provider, gone.subject], ["google", "u-1"]);
        assert.equal(await store.identities.find("google", "u-1"), null);
        assert.deepEqual((await store.identities.list(player.id)).map((i) => i.provider), ["steam"]);
        // The freed identity can now sign in (a new player) or be linked elsewhere.
        assert.equal((await store.identities.signIn("google", "u-1")).created, true);

        const device = await store.players.guest("dev-unlink");
        await store.identities.link(device.id, "google", "u-2");
        await rejectsCode(store.identities.unlink(device.id, "google"), "LAST_SIGN_IN_METHOD");
        await store.accounts.register(device.id, "unlinker", "hash");
        await store.identities.unlink(device.id, "google");
        assert.deepEqual(await store.identities.list(device.id), []);
      });

      it("two concurrent unlinks of a player's last two identities: one succeeds, the other is LAST_SIGN_IN_METHOD", async () => {
        const { player } = await store.identities.signIn("google", "c-1");
        await store.identities.link(player.id, "apple", "c-1-apple");
        const outcomes = await Promise.allSettled([store.identities.unlink(player.id, "google"), store.identities.unlink(player.id, "apple")]);
        assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1, JSON.stringify(outcomes));
        assert.equal(((outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult).reason as { code?: string }).code, "LAST_SIGN_IN_METHOD");
        assert.equal((await store.identities.list(player.id)).length, 1);
      });
    });

    describe("refresh-token sessions", () => {
      it("rotates by compare-and-set; a stale jti revokes the whole family", async () => {
        await store.sessions.create({ familyId: "fam-1", playerId: "p", jti: "j1", expiresAt: Date.now() + 60_000 });
        assert.equal(await store.sessions.rotate("fam-1", "j1", "j2", Date.now() + 60_000), "rotated");
        assert.equal(await store.sessions.rotate("fam-1", "j1", "j3", Date.now() + 60_000), "reused");
        assert.equal(await store.sessions.rotate("fam-1", "j2", "j4", Date.now() + 60_000), "revoked", "the legitimate holder is cut off too");
        assert.equal(await store.sessions.rotate("fam-x", "j1", "j2", 0), "unknown");
      });

      it("two concurrent rotations of one token: one rotates, the other is a reuse", async () => {
        await store.sessions.create({ familyId: "fam-2", playerId: "p", jti: "j1", expiresAt: Date.now() + 60_000 });
        const out = await Promise.all([store.sessions.rotate("fam-2", "j1", "a", 1), store.sessions.rotate("fam-2", "j1", "b", 1)]);
        assert.deepEqual([...out].sort(), ["reused", "rotated"]);
      });

      it("revoke and revokeAll", async () => {
        for (const f of ["f1", "f2", "f3"]) await store.sessions.create({ familyId: f, playerId: f === "f3" ? "other" : "p", jti: "j", expiresAt: Date.now() + 60_000 });
        await store.sessions.revoke("f1");
        assert.equal(await store.sessions.rotate("f1", "j", "k", 1), "revoked");
        await store.sessions.revokeAll("p");
        assert.equal(await store.sessions.rotate("f2", "j", "k", 1), "revoked");
        assert.equal(await store.sessions.rotate("f3", "j", "k", 1), "rotated");
      });
    });

    describe("match results", () => {
      it("records a result once; a second record returns false and changes nothing", async () => {
        const first = result("match-1");
        assert.equal(await store.matches.record(first), true);
        assert.equal(await store.matches.record(result("match-1", { outcome: "aborted", winnerTeam: null, reason: "other" })), false);
        assert.deepEqual(await store.matches.get("match-1"), first);
        assert.equal(await store.matches.get("match-2"), null);
      });

      it("keeps its own copy of a recorded result", async () => {
        const r = result("match-copy");
        await store.matches.record(r);
        (r.players[0] as { score: number }).score = 999;
        const stored = await store.matches.get("match-copy");
        assert.equal(stored?.players[0].score, 15);
        (stored!.players[0] as { score: number }).score = 777;
        assert.equal((await store.matches.get("match-copy"))?.players[0].score, 15);
      });

      it("apply writes ratings, history, leaderboard rows and rewards together, with the current ratings as input", async () => {
        await store.ratings.set(rating("a", 30, { wins: 4, matches: 4 }));
        const r = result("m-apply");
        let seen: ReadonlyMap<string, RatingRecord> | undefined;
        assert.equal(await store.matches.apply(r, (current) => { seen = current; return plan(r)(current); }), true);
        assert.equal(seen?.get("a")?.mu, 30);
        assert.equal(seen?.has("b"), false, "a player without a rating is absent");
        assert.equal((await store.ratings.get("a", "arena"))?.mu, 31);
        assert.equal((await store.ratings.get("a", "arena"))?.wins, 5);
        assert.equal((await store.ratings.get("b", "arena"))?.losses, 1);
        assert.deepEqual((await store.matches.history("a", { limit: 10 })).map((h) => [h.matchId, h.outcome]), [["m-apply", "win"]]);
        assert.equal((await store.leaderboards.entry("rating.arena.s1", "a"))?.rank, 1);
        assert.deepEqual(await store.inventory.get("b"), { coins: 10 });
      });

      it("a duplicate apply changes nothing (exactly once, also with a different body)", async () => {
        const r = result("m-dup");
        assert.equal(await store.matches.apply(r, plan(r)), true);
        const again = result("m-dup", { winnerTeam: 1 });
        assert.equal(await store.matches.apply(again, plan(again)), false);
        assert.equal((await store.ratings.get("a", "arena"))?.matches, 1);
        assert.equal((await store.ratings.get("a", "arena"))?.wins, 1);
        assert.equal((await store.matches.history("a", { limit: 10 })).length, 1);
        assert.deepEqual(await store.inventory.get("a"), { coins: 10 });
      });

      it("concurrent applies of one matchId: one applies, the others change nothing", async () => {
        const r = result("m-race");
        const out = await Promise.all(Array.from({ length: 4 }, () => store.matches.apply(r, plan(r))));
        assert.equal(out.filter(Boolean).length, 1);
        assert.equal((await store.ratings.get("a", "arena"))?.matches, 1);
        assert.deepEqual(await store.inventory.get("a"), { coins: 10 });
      });

      it("a store error in the middle of a result leaves nothing half-written; the retry applies it once", async () => {
        const r = result("m-fault");
        failMid = "m-fault";
        await assert.rejects(store.matches.apply(r, plan(r)), /injected store fault/);
        assert.deepEqual(hookCalls, ["m-fault"], "the fault fired after the first writes");
        assert.equal(await store.matches.get("m-fault"), null, "no result");
        assert.equal(await store.ratings.get("a", "arena"), null, "no rating");
        assert.deepEqual(await store.matches.history("a", { limit: 10 }), [], "no history");
        assert.equal(await store.leaderboards.entry("rating.arena.s1", "a"), null, "no leaderboard row");
        assert.deepEqual(await store.inventory.get("a"), {}, "no reward");
        failMid = null;
        assert.equal(await store.matches.apply(r, plan(r)), true, "the retry (after the crash) applies");
        assert.equal(await store.matches.apply(r, plan(r)), false);
        assert.equal((await store.ratings.get("a", "arena"))?.matches, 1);
        assert.deepEqual(await store.inventory.get("a"), { coins: 10 });
      });

      it("pages history newest first with a cursor", async () => {
        for (let i = 0; i < 7; i++) {
          const r = result(`m-page-${i}`, { endedAt: 100_000 + (i % 3 === 0 ? 0 : i) * 1000 });
          await store.matches.apply(r, plan(r));
        }
        const seen: string[] = [];
        let before: { endedAt: number; matchId: string } | undefined;
        for (;;) {
          const page = await store.matches.history("a", { limit: 3, before });
          seen.push(...page.map((h) => h.matchId));
          if (page.length < 3) break;
          before = { endedAt: page[2].endedAt, matchId: page[2].matchId };
        }
        assert.equal(seen.length, 7);
        assert.equal(new Set(seen).size, 7, "no entry twice");
        const all = await store.matches.history("a", { limit: 100 });
        assert.deepEqual(seen, all.map((h) => h.matchId));
        for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].endedAt >= all[i].endedAt);
      });
    });

    describe("leaderboards", () => {
      it("best keeps the highest score, latest replaces; ranks break ties by playerId descending", async () => {
        await store.leaderboards.submit({ board: "b1", playerId: "p1", score: 50, keep: "best" });
        await store.leaderboards.submit({ board: "b1", playerId: "p1", score: 40, keep: "best" });
        assert.equal((await store.leaderboards.entry("b1", "p1"))?.score, 50);
        await store.leaderboards.submit({ board: "b1", playerId: "p1", score: 60, keep: "best" });
        assert.equal((await store.leaderboards.entry("b1", "p1"))?.score, 60);
        await store.leaderboards.submit({ board: "b1", playerId: "p2", score: 60, keep: "latest" });
        await store.leaderboards.submit({ board: "b1", playerId: "p3", score: 70, keep: "latest" });
        await store.leaderboards.submit({ board: "b1", playerId: "p3", score: 10, keep: "latest" });
        await store.leaderboards.submit({ board: "b2", playerId: "p9", score: 999, keep: "best" });
        assert.deepEqual(await store.leaderboards.top("b1", 10), [
          { playerId: "p2", score: 60, rank: 1 }, { playerId: "p1", score: 60, rank: 2 }, { playerId: "p3", score: 10, rank: 3 },
        ]);
        assert.deepEqual(await store.leaderboards.top("b1", 1, 1), [{ playerId: "p1", score: 60, rank: 2 }]);
        assert.deepEqual(await store.leaderboards.entry("b1", "p3"), { playerId: "p3", score: 10, rank: 3 });
        assert.equal(await store.leaderboards.entry("b1", "p9"), null);
        assert.equal(await store.leaderboards.count("b1"), 3);
      });
    });

    describe("inventory", () => {
      it("grants idempotently: a retried grant never duplicates", async () => {
        assert.deepEqual(await store.inventory.grant("p", { coins: 100, gem: 2 }, "k1"), { applied: true, items: { coins: 100, gem: 2 } });
        assert.deepEqual(await store.inventory.grant("p", { coins: 100, gem: 2 }, "k1"), { applied: false, items: { coins: 100, gem: 2 } });
        assert.deepEqual(await store.inventory.grant("p", { coins: 5 }, "k2"), { applied: true, items: { coins: 105, gem: 2 } });
        assert.deepEqual(await store.inventory.get("p"), { coins: 105, gem: 2 });
        assert.deepEqual(await store.inventory.get("nobody"), {});
      });

      it("a key reused for a different operation is IDEMPOTENCY_CONFLICT; keys are per player", async () => {
        await store.inventory.grant("p", { coins: 1 }, "k");
        await rejectsCode(store.inventory.grant("p", { coins: 2 }, "k"), "IDEMPOTENCY_CONFLICT");
        await rejectsCode(store.inventory.consume("p", { coins: 1 }, "k"), "IDEMPOTENCY_CONFLICT");
        assert.equal((await store.inventory.grant("q", { coins: 2 }, "k")).applied, true);
      });

      it("a consume never goes negative and changes nothing when any item is short", async () => {
        await store.inventory.grant("p", { coins: 10, gem: 1 }, "g");
        await rejectsCode(store.inventory.consume("p", { coins: 5, gem: 2 }, "c1"), "INSUFFICIENT_ITEMS");
        await rejectsCode(store.inventory.consume("p", { ticket: 1 }, "c2"), "INSUFFICIENT_ITEMS");
        assert.deepEqual(await store.inventory.get("p"), { coins: 10, gem: 1 });
        assert.deepEqual(await store.inventory.consume("p", { coins: 5, gem: 1 }, "c1"), { applied: true, items: { coins: 5 } }, "a refused key can be retried");
        assert.deepEqual(await store.inventory.consume("p", { coins: 5, gem: 1 }, "c1"), { applied: false, items: { coins: 5 } });
      });

      it("concurrent consumes of the last item: exactly one wins", async () => {
        await store.inventory.grant("p", { potion: 1 }, "g");
        const out = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.inventory.consume("p", { potion: 1 }, `use-${i}`)));
        assert.equal(out.filter((o) => o.status === "fulfilled").length, 1);
        for (const o of out) if (o.status === "rejected") assert.equal((o.reason as { code: string }).code, "INSUFFICIENT_ITEMS");
        assert.deepEqual(await store.inventory.get("p"), {});
      });

      it("refuses malformed item maps", async () => {
        await assert.rejects(store.inventory.grant("p", {}, "k"), RangeError);
        await assert.rejects(store.inventory.grant("p", { coins: -1 }, "k"), RangeError);
        await assert.rejects(store.inventory.grant("p", { coins: 1.5 }, "k"), RangeError);
        await assert.rejects(store.inventory.grant("p", { "bad id": 1 }, "k"), RangeError);
        assert.deepEqual(await store.inventory.get("p"), {});
      });
    });

    it("appends analytics events", async () => {
      await store.events.append([{ at: 1, type: "t", playerId: "p", data: { x: 1 } }, { at: 2, type: "t", playerId: null, data: {} }]);
      assert.equal(await store.events.count(), 2);
    });

    // Only implementations that persist have a reopen; the in-memory store does not get this test.
    if (impl.persists) it("survives a reopen", async function () {
      const p = await store.players.guest("device-keep-1");
      const anon = await store.players.guest();
      await store.accounts.register(anon.id, "keeper", "h");
      const r = result("match-keep");
      await store.matches.apply(r, plan(r));
      await store.inventory.grant("a", { gem: 1 }, "keep");
      const platform = await store.identities.signIn("google", "keep-sub");
      await store.close();
      store = await reopen!();
      assert.deepEqual(await store.players.get(p.id), p);
      assert.equal((await store.players.get(anon.id))?.username, "keeper");
      assert.equal((await store.players.guest("device-keep-1")).id, p.id);
      assert.deepEqual(await store.matches.get("match-keep"), r);
      assert.equal(await store.matches.apply(r, plan(r)), false);
      assert.equal((await store.ratings.get("a", "arena"))?.matches, 1);
      assert.deepEqual(await store.inventory.get("a"), { coins: 10, gem: 1 });
      assert.equal((await store.inventory.grant("a", { gem: 1 }, "keep")).applied, false);
      assert.deepEqual(await store.identities.signIn("google", "keep-sub"), { player: platform.player, created: false });
    });
  });
}

describe("embedded store on disk", () => {
  it("keeps one SQLite file in DATA_DIR and imports an old JSON snapshot once", async () => {
    const dir = tempDir("rally-store-");
    writeFileSync(join(dir, "rally-store.json"), JSON.stringify({
      version: 1,
      players: [{ id: "old-1", name: "Old", createdAt: 5, deviceId: "device-old-1" }],
      matches: [result("old-match")],
    }));
    const store = await createFileStore(dir);
    try {
      assert.ok(existsSync(join(dir, "rally.db")));
      assert.ok(!existsSync(join(dir, "rally-store.json")) && existsSync(join(dir, "rally-store.json.imported")));
      assert.deepEqual(await store.players.get("old-1"), { id: "old-1", name: "Old", createdAt: 5, deviceId: "device-old-1" });
      assert.equal((await store.players.guest("device-old-1")).id, "old-1");
      assert.equal(await store.matches.record(result("old-match")), false);
    } finally {
      await store.close();
    }
  });
});
