/**
 * When the database is unreachable: the Store circuit breaker (fail fast with 503 STORE_UNAVAILABLE,
 * half-open probe), the result outbox (retried until stored, bounded), the write-behind queue's drop
 * counter, and the mongoose store's start-up transaction check (a fake `admin` object: no MongoDB can
 * run here). The same against a real PostgreSQL that is stopped and started: test/server/store/cluster.test.ts.
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import type { MatchResult, MatchResultSink } from "../../../rooms/index.ts";
import { loadConfig } from "../../../server/config.ts";
import { RallyError } from "../../../server/errors.ts";
import { ResultOutbox } from "../../../server/node/result-outbox.ts";
import { createPlayerServices } from "../../../server/players/index.ts";
import { StoreBreaker, guardStore, isStoreUnavailableError } from "../../../server/store/breaker.ts";
import { checkMongoTransactions } from "../../../server/store/mongo.ts";
import { createMemoryStore, type Store } from "../../../server/store/index.ts";
import { startTestNode, type TestNode } from "../../support/rooms.ts";
import { sleep, until } from "../../support/wait.ts";

const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
const quiet = { info() {}, warn() {}, error() {}, debug() {}, child() { return quiet; } } as unknown as import("../../../server/log.ts").Logger;

function result(matchId: string): MatchResult {
  const endedAt = Date.now();
  return {
    matchId, roomName: "arena", region: "local", mode: "arena", outcome: "completed", reason: "score-limit",
    startedAt: endedAt - 1000, endedAt, durationMs: 1000,
    teams: [{ team: 0, score: 1, playerIds: ["a"] }, { team: 1, score: 0, playerIds: ["b"] }],
    players: [{ playerId: "a", name: "A", team: 0, score: 1, present: true }, { playerId: "b", name: "B", team: 1, score: 0, present: true }],
    winnerTeam: 0,
  };
}

/** A store whose every call fails like an unreachable database ("down") or never answers ("hang"). */
function switchableStore(inner: Store): { store: Store; mode: "up" | "down" | "hang"; calls: number } {
  const state = { mode: "up" as "up" | "down" | "hang", calls: 0, store: inner };
  state.store = new Proxy(inner, {
    get(target, key) {
      const repo: unknown = Reflect.get(target, key);
      if (typeof repo !== "object" || repo === null) return repo;
      return new Proxy(repo, {
        get(r, k) {
          const fn: unknown = Reflect.get(r, k);
          if (typeof fn !== "function") return fn;
          return (...args: unknown[]) => {
            state.calls++;
            if (state.mode === "down") return Promise.reject(refused());
            if (state.mode === "hang") return new Promise(() => undefined);
            return (fn as (...a: unknown[]) => unknown).apply(r, args);
          };
        },
      });
    },
  });
  return state;
}

describe("store circuit breaker", () => {
  it("classifies unreachable-database errors (pg, mongo, sockets) apart from answers of a live database", () => {
    for (const e of [refused(), { code: "57P01" }, { code: "08006" }, { code: "57P03" }, new Error("Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"), Object.assign(new Error("x"), { name: "MongoServerSelectionError" }),
      Object.assign(new Error("all refused"), { errors: [refused()] }), new RallyError("STORE_UNAVAILABLE")]) {
      assert.equal(isStoreUnavailableError(e), true, String((e as Error).message ?? JSON.stringify(e)));
    }
    for (const e of [{ code: "23505" }, new RallyError("INSUFFICIENT_ITEMS"), new RangeError("bad item"), new Error("UNIQUE constraint failed"), null, "x"]) {
      assert.equal(isStoreUnavailableError(e), false, JSON.stringify(e));
    }
  });

  it("opens after N connection failures, then fails fast without calling the store; one half-open probe closes it", async () => {
    let now = 0;
    const states: string[] = [];
    const b = new StoreBreaker({ failures: 3, openMs: 1000, timeoutMs: 1000, now: () => now, onStateChange: (s) => states.push(s) });
    let calls = 0;
    const failing = () => { calls++; return Promise.reject(refused()); };
    for (let i = 0; i < 3; i++) await assert.rejects(b.run(failing), (e: RallyError) => e.code === "STORE_UNAVAILABLE" && e.status === 503);
    assert.equal(b.state, "open");
    assert.equal(calls, 3);
    await assert.rejects(b.run(failing), (e: RallyError) => e.code === "STORE_UNAVAILABLE");
    assert.equal(calls, 3, "an open breaker does not call the store");

    now += 1000;
    assert.equal(b.state, "half-open");
    let release!: (v: string) => void;
    const probe = b.run(() => { calls++; return new Promise<string>((r) => (release = r)); });
    await assert.rejects(b.run(failing), (e: RallyError) => e.code === "STORE_UNAVAILABLE", "only one probe at a time");
    assert.equal(calls, 4);
    release("ok");
    assert.equal(await probe, "ok");
    assert.equal(b.state, "closed");
    assert.deepEqual(states, ["open", "closed"]);
  });

  it("a failed probe opens it again for another period", async () => {
    let now = 0;
    const b = new StoreBreaker({ failures: 1, openMs: 500, timeoutMs: 1000, now: () => now });
    await assert.rejects(b.run(() => Promise.reject(refused())));
    now += 500;
    await assert.rejects(b.run(() => Promise.reject(refused())));
    assert.equal(b.state, "open");
    now += 499;
    assert.equal(b.state, "open");
    now += 1;
    assert.equal(b.state, "half-open");
  });

  it("errors of a live database pass through unchanged and do not count; successes reset the count", async () => {
    const b = new StoreBreaker({ failures: 2, openMs: 1000, timeoutMs: 1000 });
    await assert.rejects(b.run(() => Promise.reject(refused())));
    await b.run(async () => 1);
    await assert.rejects(b.run(() => Promise.reject(refused())));
    assert.equal(b.state, "closed", "the success in between reset the count");
    for (let i = 0; i < 5; i++) await assert.rejects(b.run(() => Promise.reject(new RallyError("INSUFFICIENT_ITEMS"))), (e: RallyError) => e.code === "INSUFFICIENT_ITEMS");
    assert.equal(b.state, "closed");
  });

  it("a call slower than timeoutMs answers STORE_UNAVAILABLE and counts as a failure", async () => {
    const b = new StoreBreaker({ failures: 1, openMs: 60_000, timeoutMs: 50 });
    const t0 = performance.now();
    await assert.rejects(b.run(() => new Promise(() => undefined)), (e: RallyError) => e.code === "STORE_UNAVAILABLE");
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(b.state, "open");
  });

  it("guardStore runs every repository method through the breaker and keeps results and `this`", async () => {
    const inner = await createMemoryStore();
    const sw = switchableStore(inner);
    const b = new StoreBreaker({ failures: 2, openMs: 60_000, timeoutMs: 1000 });
    const store = guardStore(sw.store, b);
    const p = await store.players.guest("dev-1");
    assert.equal((await store.players.get(p.id))?.id, p.id);
    sw.mode = "down";
    await assert.rejects(store.players.get(p.id), (e: RallyError) => e.code === "STORE_UNAVAILABLE");
    await assert.rejects(store.inventory.get(p.id), (e: RallyError) => e.code === "STORE_UNAVAILABLE");
    const calls = sw.calls;
    await assert.rejects(store.ratings.list(p.id), (e: RallyError) => e.code === "STORE_UNAVAILABLE");
    assert.equal(sw.calls, calls, "open: no call reached the store");
    await store.close();
  });
});

describe("result outbox", () => {
  it("a result the store refuses is retried with backoff until stored, exactly once; the caller is not held", async () => {
    const stored = new Map<string, number>();
    let failuresLeft = 3;
    const sink: MatchResultSink = {
      async report(r) {
        if (failuresLeft-- > 0) throw new RallyError("STORE_UNAVAILABLE");
        stored.set(r.matchId, (stored.get(r.matchId) ?? 0) + 1);
      },
    };
    const registry = new Registry();
    const outbox = new ResultOutbox({ sink, logger: quiet, baseDelayMs: 10, maxDelayMs: 40, metricsRegistry: registry });
    assert.equal(await outbox.report(result("m1")), "queued");
    assert.equal(await outbox.report(result("m1")), "queued", "a second report of a waiting result is not queued twice");
    assert.equal(outbox.size, 1);
    assert.match(await registry.metrics(), /rally_results_pending\S* 1/);
    await until("the outbox to store the waiting result", () => outbox.size === 0, 10_000, 10);
    assert.deepEqual([...stored], [["m1", 1]]);
    assert.equal(await outbox.report(result("m2")), "stored");
    await outbox.close();
  });

  it("is bounded: past `max` waiting results a report fails (the room then retries and logs it in full)", async () => {
    const sink: MatchResultSink = { report: () => Promise.reject(new RallyError("STORE_UNAVAILABLE")) };
    const outbox = new ResultOutbox({ sink, logger: quiet, max: 2, baseDelayMs: 60_000 });
    await outbox.report(result("a"));
    await outbox.report(result("b"));
    await assert.rejects(outbox.report(result("c")), (e: RallyError) => e.code === "STORE_UNAVAILABLE");
    const errors: unknown[] = [];
    const logger = { ...quiet, error: (o: unknown) => errors.push(o) } as unknown as typeof quiet;
    const logging = new ResultOutbox({ sink, logger, baseDelayMs: 60_000 });
    await logging.report(result("d"));
    await logging.close();
    assert.equal(errors.length, 1, "an unstored result is logged in full at shutdown");
    assert.equal((errors[0] as { result: MatchResult }).result.matchId, "d");
    await outbox.close();
  });
});

describe("write-behind queue", () => {
  it("analytics dropped while the store is down are counted in rally_write_behind_dropped_total", async () => {
    const sw = switchableStore(await createMemoryStore());
    const registry = new Registry();
    const config = loadConfig({ LOG_LEVEL: "silent" });
    const players = createPlayerServices(config, sw.store, { metricsRegistry: registry });
    sw.mode = "down";
    for (let i = 0; i < 10_005; i++) players.events.push({ at: i, type: "test", playerId: null, data: {} });
    assert.match(await registry.metrics(), /rally_write_behind_dropped_total\S* 5\b/);
    assert.match(await registry.metrics(), /rally_write_behind_queued\S* 10000\b/);
    sw.mode = "up";
    await players.close(); // drained on shutdown
    assert.equal(await sw.store.events.count(), 10_000);
    await sw.store.close();
  });
});

describe("mongoose store start-up check", () => {
  // No MongoDB can run here: the check runs against a fake of the driver's Admin object.
  const admin = (reply: Record<string, unknown>) => ({ command: async () => reply });
  it("accepts a replica set member and a mongos router", async () => {
    await checkMongoTransactions(admin({ isWritablePrimary: true, setName: "rs0" }));
    await checkMongoTransactions(admin({ isWritablePrimary: true, msg: "isdbgrid" }));
  });
  it("refuses a standalone mongod with one line naming MONGO_URL and the fix", async () => {
    await assert.rejects(checkMongoTransactions(admin({ isWritablePrimary: true })), (e: Error) =>
      /^Invalid environment variable MONGO_URL: .*standalone.*--replSet rs0.*rs\.initiate\(\)/.test(e.message) && !e.message.includes("\n"));
  });
  it("falls back to isMaster on servers without `hello`", async () => {
    const calls: string[] = [];
    await checkMongoTransactions({ command: async (c) => { calls.push(Object.keys(c)[0]); if (c.hello) throw new Error("no such command"); return { ismaster: true, setName: "rs0" }; } });
    assert.deepEqual(calls, ["hello", "isMaster"]);
  });
});

describe("a node whose store is unreachable", function () {
  this.timeout(30_000);
  let t: TestNode;
  let sw: ReturnType<typeof switchableStore>;
  before(async () => {
    sw = switchableStore(await createMemoryStore());
    t = await startTestNode({ STORE_BREAKER_FAILURES: "2", STORE_BREAKER_OPEN_MS: "400", STORE_TIMEOUT_MS: "300", AUTH_RATE_PER_MIN: "1000", ADMIN_TOKEN: "breaker-admin-token-0123-4567-89abcdefghij" }, { store: sw.store });
  });
  after(async () => { await t?.close(); });

  const guestCall = async () => {
    const t0 = performance.now();
    const res = await fetch(`${t.url}/v1/auth/guest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ deviceId: "device-breaker-1" }) });
    return { status: res.status, body: await res.json() as { error?: { code: string }; playerId?: string }, ms: performance.now() - t0 };
  };

  it("answers 503 STORE_UNAVAILABLE quickly instead of hanging, and recovers when the store is back", async () => {
    const first = await guestCall();
    assert.equal(first.status, 200);
    sw.mode = "hang";
    const slow = await guestCall(); // waits STORE_TIMEOUT_MS once
    assert.equal(slow.status, 503);
    assert.equal(slow.body.error?.code, "STORE_UNAVAILABLE");
    await guestCall(); // second failure: the breaker opens
    const fast = await guestCall();
    assert.equal(fast.status, 503);
    assert.equal(fast.body.error?.code, "STORE_UNAVAILABLE");
    assert.ok(fast.ms < 250, `open breaker answered in ${fast.ms.toFixed(0)} ms`);
    sw.mode = "up";
    const back = await until("the store to answer again", async () => {
      const r = await guestCall();
      return r.status === 200 ? r : null;
    }, 10_000, 100);
    assert.equal(back.status, 200);
    assert.equal(back.body.playerId, first.body.playerId, "the same device is the same player");
  });

  it("critical writes are never queued: an item grant and consume refused while the store is down are not applied later", async () => {
    const json = { "content-type": "application/json" };
    const p = await (await fetch(`${t.url}/v1/auth/guest`, { method: "POST", headers: json, body: JSON.stringify({ deviceId: "device-breaker-items" }) })).json() as { playerId: string; token: string };
    const admin = { ...json, authorization: "Bearer breaker-admin-token-0123-4567-89abcdefghij" };
    const grant = (key: string) => fetch(`${t.url}/v1/admin/players/${p.playerId}/items`, { method: "POST", headers: admin, body: JSON.stringify({ items: { gem: 5 }, idempotencyKey: key }) });
    assert.equal((await grant("grant-before-outage")).status, 200);
    sw.mode = "down";
    const refusedGrant = await grant("grant-during-outage");
    assert.equal(refusedGrant.status, 503);
    const consume = await fetch(`${t.url}/v1/players/me/inventory/consume`, { method: "POST", headers: { ...json, authorization: `Bearer ${p.token}` }, body: JSON.stringify({ items: { gem: 1 }, idempotencyKey: "consume-during-outage" }) });
    assert.equal(consume.status, 503);
    assert.equal(((await consume.json()) as { error: { code: string } }).error.code, "STORE_UNAVAILABLE");
    sw.mode = "up";
    await sleep(1500); // past the open period and any flush of the write-behind queue
    assert.deepEqual(await sw.store.inventory.get(p.playerId), { gem: 5 }, "nothing refused was applied later");
  });
});
