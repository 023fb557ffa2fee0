import assert from "node:assert/strict";
import { makeTicket, type Ticket } from "../../matchmaker/ticket.ts";
import { MemoryTicketStore, type TicketStore } from "../../matchmaker/ticket-store.ts";
import { RedisTicketStore } from "../../matchmaker/ticket-store-redis.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";

function ticket(id: string, enqueuedAt: number, extra: Partial<Parameters<typeof makeTicket>[0]> = {}): Ticket {
  return makeTicket({ id, mode: "5v5", playerIds: [`${id}.p`], playerRatings: [1500], region: "eu", latencies: { eu: 20 }, enqueuedAt, ...extra });
}

interface Impl {
  name: string;
  /** once per suite (e.g. start a redis-server) */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** a fresh, empty store per test */
  create(): TicketStore;
}

let redis: TestRedis | undefined;
let prefixSeq = 0;
const IMPLEMENTATIONS: Impl[] = [
  { name: "MemoryTicketStore", start: async () => {}, stop: async () => {}, create: () => new MemoryTicketStore() },
  {
    name: "RedisTicketStore (own redis-server)",
    start: async () => { redis = await startRedis(); },
    stop: async () => { await redis?.stop(); },
    // a new key prefix per test keeps tests apart without FLUSHALL
    create: () => new RedisTicketStore(redis!.client(), `test${prefixSeq++}:`),
  },
];

for (const impl of IMPLEMENTATIONS) {
  describe(`TicketStore conformance: ${impl.name}`, () => {
    before(() => impl.start());
    after(() => impl.stop());
    let store: TicketStore;
    beforeEach(() => { store = impl.create(); });

    it("lists waiting tickets of a mode oldest first, filtered by region", async () => {
      await store.add(ticket("b", 2000));
      await store.add(ticket("a", 1000));
      await store.add(ticket("c", 3000, { region: "us" }));
      await store.add(ticket("d", 500, { mode: "arena" }));
      assert.deepEqual((await store.listWaiting("5v5")).map((t) => t.id), ["a", "b", "c"]);
      assert.deepEqual((await store.listWaiting("5v5", { region: "us" })).map((t) => t.id), ["c"]);
      const [a] = await store.listWaiting("5v5", { region: "eu" });
      assert.equal(a.rating, 1500);
      assert.deepEqual(a.latencies, { eu: 20 });
    });

    it("keeps a ticket's attributes as they were (listWaiting, get, claim and requeue)", async () => {
      const attributes = { map: ["dust", "port"], device: "pad", level: 12, voice: false };
      await store.add(ticket("a", 1, { attributes }));
      await store.add(ticket("b", 2));
      const [a, b] = await store.listWaiting("5v5");
      assert.deepEqual(a.attributes, attributes);
      assert.equal(b.attributes, undefined, "a ticket without attributes has none");
      assert.ok((await store.claim("5v5", ["a"], "m1", 1)).ok);
      assert.deepEqual((await store.get("a"))?.ticket.attributes, attributes);
      await store.requeue("a");
      assert.deepEqual((await store.listWaiting("5v5"))[0].attributes, attributes);
    });

    it("refuses a duplicate ticket id while it is queued", async () => {
      await store.add(ticket("a", 1));
      await assert.rejects(store.add(ticket("a", 2)), (e: { code?: string }) => e.code === "MM_DUPLICATE_TICKET");
    });

    it("cancel removes a waiting ticket and cannot cancel a matched one", async () => {
      await store.add(ticket("a", 1));
      await store.add(ticket("b", 2));
      assert.equal(await store.cancel("a"), true);
      assert.equal(await store.cancel("a"), false);
      assert.equal((await store.get("a"))?.state, "cancelled");
      assert.ok((await store.claim("5v5", ["b"], "m1", 1)).ok);
      assert.equal(await store.cancel("b"), false);
      assert.deepEqual(await store.listWaiting("5v5"), []);
    });

    it("claims all-or-nothing: a ticket is never matched twice", async () => {
      for (const id of ["a", "b", "c"]) await store.add(ticket(id, 1));
      assert.deepEqual(await store.claim("5v5", ["a", "b"], "m1", 1), { ok: true });
      const second = await store.claim("5v5", ["b", "c"], "m2", 1);
      assert.deepEqual(second, { ok: false, reason: "not-waiting" });
      assert.equal((await store.get("c"))?.state, "waiting", "failed claim must not touch c");
      assert.equal((await store.get("b"))?.matchId, "m1");
      assert.deepEqual((await store.listWaiting("5v5")).map((t) => t.id), ["c"]);
      assert.equal((await store.claim("5v5", ["c", "c"], "m3", 1)).ok, false, "same ticket twice in one claim");
    });

    it("concurrent claims on overlapping tickets: every ticket has at most one owner", async () => {
      for (const id of ["a", "b", "c", "d"]) await store.add(ticket(id, 1));
      const claims = [["a", "b"], ["b", "c"], ["c", "d"]];
      const results = await Promise.all(claims.map((ids, k) => store.claim("5v5", ids, `m${k}`, 1)));
      assert.ok(results.some((r) => r.ok));
      for (let k = 0; k < claims.length; k++) {
        for (const id of claims[k]) {
          const owner = (await store.get(id))?.matchId;
          if (results[k].ok) assert.equal(owner, `m${k}`, `${id} belongs to the winning claim m${k}`);
        }
      }
      assert.ok(!(results[0].ok && results[1].ok) && !(results[1].ok && results[2].ok), "overlapping claims cannot both win");
    });

    it("refuses a claim with a stale fencing token", async () => {
      for (const id of ["a", "b"]) await store.add(ticket(id, 1));
      assert.ok((await store.claim("5v5", ["a"], "m1", 7)).ok);
      assert.deepEqual(await store.claim("5v5", ["b"], "m2", 6), { ok: false, reason: "stale-fence" });
      assert.equal((await store.get("b"))?.state, "waiting");
      assert.ok((await store.claim("5v5", ["b"], "m2", 8)).ok);
    });

    it("requeue puts a matched ticket back with its original enqueue time", async () => {
      await store.add(ticket("old", 1000));
      await store.add(ticket("new", 5000));
      assert.ok((await store.claim("5v5", ["old"], "m1", 1)).ok);
      assert.equal(await store.requeue("old"), true);
      assert.equal(await store.requeue("old"), false, "already waiting");
      const waiting = await store.listWaiting("5v5");
      assert.deepEqual(waiting.map((t) => t.id), ["old", "new"]);
      assert.equal(waiting[0].enqueuedAt, 1000);
      assert.equal((await store.get("old"))?.matchId, undefined);
    });

    it("shards: one waiting list and one fence per (mode, shard); claims never cross shards", async () => {
      await store.add(ticket("e1", 1, { region: "eu-west" }), "eu");
      await store.add(ticket("e2", 2, { region: "eu-north" }), "eu");
      await store.add(ticket("n1", 3, { region: "us-east" }), "na");
      await store.add(ticket("n2", 4, { region: "us-east" }), "na");
      await store.add(ticket("d1", 5, { region: "ap" }));
      assert.deepEqual((await store.listWaiting("5v5", { shard: "eu" })).map((t) => t.id), ["e1", "e2"]);
      assert.deepEqual((await store.listWaiting("5v5", { shard: "na" })).map((t) => t.id), ["n1", "n2"]);
      assert.deepEqual((await store.listWaiting("5v5")).map((t) => t.id), ["d1"], "no shard = the default shard");
      assert.deepEqual((await store.listWaiting("5v5", { shard: "eu", region: "eu-north" })).map((t) => t.id), ["e2"]);
      assert.equal((await store.get("n1"))?.shard, "na");
      assert.equal((await store.get("d1"))?.shard, "default");
      // a ticket of another shard (or the default one) is refused, all or nothing
      assert.deepEqual(await store.claim("5v5", ["e1", "n1"], "mx", 1, "eu"), { ok: false, reason: "wrong-shard" });
      assert.deepEqual(await store.claim("5v5", ["d1"], "mx", 1, "eu"), { ok: false, reason: "wrong-shard" });
      assert.deepEqual(await store.claim("arena", ["e1"], "mx", 1, "eu"), { ok: false, reason: "wrong-shard" }, "another mode's shard");
      assert.equal((await store.get("e1"))?.state, "waiting");
      // fences are per shard: eu at 50 leaves na at 0
      assert.ok((await store.claim("5v5", ["e1"], "m-eu", 50, "eu")).ok);
      assert.deepEqual(await store.claim("5v5", ["e2"], "m-eu2", 49, "eu"), { ok: false, reason: "stale-fence" });
      assert.ok((await store.claim("5v5", ["n1"], "m-na", 2, "na")).ok, "a stale eu token does not touch na");
      assert.ok((await store.claim("5v5", ["d1"], "m-d", 1)).ok, "nor the default shard");
      // requeue, cancel and remove keep the ticket in its own shard
      assert.equal(await store.requeue("n1"), true);
      assert.deepEqual((await store.listWaiting("5v5", { shard: "na" })).map((t) => t.id), ["n1", "n2"]);
      assert.equal(await store.cancel("n2"), true);
      await store.remove("n1");
      assert.deepEqual(await store.listWaiting("5v5", { shard: "na" }), []);
      assert.deepEqual((await store.listWaiting("5v5", { shard: "eu" })).map((t) => t.id), ["e2"]);
    });

    it("expire: a matched ticket nobody comes back for is forgotten; requeue clears the expiry; waiting tickets never expire", async () => {
      await store.add(ticket("gone", 1));
      await store.add(ticket("back", 2));
      await store.add(ticket("wait", 3));
      assert.ok((await store.claim("5v5", ["gone", "back"], "m1", 1)).ok);
      await store.expire("gone", 80);
      await store.expire("back", 80);
      await store.expire("wait", 80);
      assert.equal(await store.requeue("back"), true);
      const deadline = Date.now() + 10_000;
      while ((await store.get("gone")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await store.get("gone"), undefined, "expired");
      await new Promise((r) => setTimeout(r, 150)); // well past the 80 ms ttl
      assert.equal((await store.get("back"))?.state, "waiting", "requeued before the ttl: kept");
      assert.equal((await store.get("wait"))?.state, "waiting", "a waiting ticket ignores expire");
      assert.deepEqual((await store.listWaiting("5v5")).map((t) => t.id), ["back", "wait"]);
    });

    it("remove forgets a ticket", async () => {
      await store.add(ticket("a", 1));
      await store.remove("a");
      assert.equal(await store.get("a"), undefined);
      assert.deepEqual(await store.listWaiting("5v5"), []);
      await store.add(ticket("a", 2));
      assert.equal((await store.get("a"))?.state, "waiting");
    });
  });
}
