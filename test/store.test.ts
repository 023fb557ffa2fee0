/** One conformance suite for every Store implementation (DESIGN: "two implementations pass one suite"). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MatchResult } from "../rooms/index.ts";
import { createFileStore, createMemoryStore, type Store } from "../server/store/index.ts";
import { tempDir } from "./helpers/processes.ts";

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

interface Implementation {
  name: string;
  open(): Promise<{ store: Store; reopen?: () => Promise<Store> }>;
}

const implementations: Implementation[] = [
  { name: "memory store", open: async () => ({ store: await createMemoryStore() }) },
  {
    name: "file store",
    open: async () => {
      const dir = tempDir("rally-store-");
      return { store: await createFileStore(dir), reopen: () => createFileStore(dir) };
    },
  },
];

for (const impl of implementations) {
  describe(`Store conformance: ${impl.name}`, () => {
    let store: Store;
    let reopen: (() => Promise<Store>) | undefined;
    beforeEach(async () => ({ store, reopen } = await impl.open()));
    afterEach(async () => store.close());

    it("a guest with a deviceId is the same player every time", async () => {
      const first = await store.players.guest("device-0001");
      const again = await store.players.guest("device-0001");
      assert.equal(again.id, first.id);
      assert.equal(again.name, first.name);
      assert.equal(first.deviceId, "device-0001");
      const other = await store.players.guest("device-0002");
      assert.notEqual(other.id, first.id);
    });

    it("a guest without a deviceId is a new player each time", async () => {
      const a = await store.players.guest();
      const b = await store.players.guest();
      assert.notEqual(a.id, b.id);
      assert.ok(a.name.length > 0);
      assert.ok(Number.isFinite(a.createdAt));
      assert.equal(a.deviceId, undefined);
    });

    it("gets a player by id, null for an unknown id", async () => {
      const p = await store.players.guest("device-get-1");
      assert.deepEqual(await store.players.get(p.id), p);
      assert.equal(await store.players.get("no-such-player"), null);
    });

    it("records a match result once; a second record returns false and changes nothing", async () => {
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

    it("concurrent guests with one deviceId resolve to one player", async () => {
      const all = await Promise.all(Array.from({ length: 5 }, () => store.players.guest("device-race-1")));
      assert.equal(new Set(all.map((p) => p.id)).size, 1);
    });

    if (impl.name === "file store") {
      it("survives a reopen: players, device binding and results are still there", async () => {
        const p = await store.players.guest("device-keep-1");
        const anon = await store.players.guest();
        await store.matches.record(result("match-keep"));
        await store.close();
        store = await reopen!();
        assert.deepEqual(await store.players.get(p.id), p);
        assert.deepEqual(await store.players.get(anon.id), anon);
        assert.equal((await store.players.guest("device-keep-1")).id, p.id);
        assert.deepEqual(await store.matches.get("match-keep"), result("match-keep"));
        assert.equal(await store.matches.record(result("match-keep")), false);
      });
    }
  });
}

describe("file store on disk", () => {
  it("writes one JSON snapshot in DATA_DIR", async () => {
    const dir = tempDir("rally-store-");
    const store = await createFileStore(dir);
    const p = await store.players.guest("device-file-1");
    await store.close();
    const snapshot = JSON.parse(readFileSync(join(dir, "rally-store.json"), "utf8")) as { players: Array<{ id: string }> };
    assert.deepEqual(snapshot.players.map((x) => x.id), [p.id]);
  });
});
