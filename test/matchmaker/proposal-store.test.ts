/**
 * ProposalStore conformance (memory and a private redis-server): a proposal's answers (first one
 * final, only its players, none once settled), first-writer-wins settling, expiry, and cooldowns that
 * extend but never shorten.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { MemoryProposalStore, RedisProposalStore, type ProposalStore } from "../../matchmaker/index.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";
import { sleep } from "../support/wait.ts";

let redis: TestRedis | undefined;
const IMPLEMENTATIONS: Array<{ name: string; start(): Promise<void>; stop(): Promise<void>; create(): ProposalStore }> = [
  { name: "MemoryProposalStore", start: async () => {}, stop: async () => {}, create: () => new MemoryProposalStore() },
  {
    name: "RedisProposalStore (own redis-server)",
    start: async () => { redis = await startRedis(); },
    stop: async () => { await redis?.stop(); },
    create: () => new RedisProposalStore(redis!.client()),
  },
];

for (const impl of IMPLEMENTATIONS) {
  describe(`ProposalStore conformance: ${impl.name}`, () => {
    let store: ProposalStore;
    before(() => impl.start());
    after(() => impl.stop());
    beforeEach(() => { store = impl.create(); });
    const ids = () => ({ matchId: `m_${randomUUID()}`, x: `p_${randomUUID()}`, y: `p_${randomUUID()}` });

    it("answers: only the proposal's players, the first is final, none once settled", async () => {
      const { matchId, x, y } = ids();
      await store.open({ matchId, deadlineMs: 1_000, players: [x, y] }, 60_000);
      assert.equal(await store.answer(matchId, "stranger", "accept"), "unknown");
      assert.equal(await store.answer(`m_${randomUUID()}`, x, "accept"), "unknown");
      assert.equal(await store.answer(matchId, x, "accept"), "ok");
      assert.equal(await store.answer(matchId, x, "decline"), "answered");
      const view = await store.get(matchId);
      assert.deepEqual({ ...view, players: [...view!.players].sort() }, { matchId, deadlineMs: 1_000, players: [x, y].sort(), answers: { [x]: "accept" } });
      assert.equal(await store.settle(matchId, "timeout"), "timeout");
      assert.equal(await store.answer(matchId, y, "accept"), "closed");
      assert.equal((await store.get(matchId))?.outcome, "timeout");
    });

    it("settle: the first writer wins; an unknown proposal settles to nothing", async () => {
      const { matchId, x } = ids();
      await store.open({ matchId, deadlineMs: 1_000, players: [x] }, 60_000);
      assert.equal(await store.settle(matchId, "declined"), "declined");
      assert.equal(await store.settle(matchId, "accepted"), "declined");
      assert.equal(await store.settle(`m_${randomUUID()}`, "timeout"), undefined);
    });

    it("a proposal expires after its TTL", async () => {
      const { matchId, x } = ids();
      await store.open({ matchId, deadlineMs: 1_000, players: [x] }, 50);
      assert.ok(await store.get(matchId));
      await sleep(120);
      assert.equal(await store.get(matchId), undefined);
      assert.equal(await store.answer(matchId, x, "accept"), "unknown");
    });

    it("cooldowns: until a time, extended by a later one, never shortened, gone after", async () => {
      const { x, y } = ids();
      const now = Date.now();
      assert.equal(await store.cooldownUntil(x, now), null);
      await store.cooldown([x, y], now + 150, now);
      assert.equal(await store.cooldownUntil(x, now), now + 150);
      await store.cooldown([x], now + 60_000, now);
      await store.cooldown([x], now + 100, now);
      assert.equal(await store.cooldownUntil(x, now), now + 60_000, "extended, never shortened");
      await sleep(200);
      assert.equal(await store.cooldownUntil(y, Date.now()), null, "over");
    });
  });
}

describe("MemoryProposalStore memory", () => {
  it("expired proposals and cooldowns nobody reads again are dropped by later writes", async () => {
    let clock = 1_000_000;
    const store = new MemoryProposalStore(() => clock);
    for (let i = 0; i < 50; i++) {
      await store.open({ matchId: `m${i}`, deadlineMs: clock + 10_000, players: [`a${i}`, `b${i}`] }, 40_000);
      await store.cooldown([`a${i}`], clock + 30_000, clock);
    }
    assert.deepEqual(store.held(), { proposals: 50, cooldowns: 50 });
    clock += 60_000; // every proposal and cooldown above is over, none was read again
    await store.open({ matchId: "later", deadlineMs: clock + 10_000, players: ["x", "y"] }, 40_000);
    await store.cooldown(["x"], clock + 30_000, clock);
    assert.deepEqual(store.held(), { proposals: 1, cooldowns: 1 });
    assert.ok(await store.get("later"));
    assert.equal(await store.cooldownUntil("x", clock), clock + 30_000);
  });
});
