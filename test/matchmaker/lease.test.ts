import assert from "node:assert/strict";
import { LocalLease, RedisLease, type Lease } from "../../matchmaker/lease.ts";
import { makeTicket } from "../../matchmaker/ticket.ts";
import { MemoryTicketStore } from "../../matchmaker/ticket-store.ts";
import { RedisTicketStore } from "../../matchmaker/ticket-store-redis.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";
import { sleep } from "../support/wait.ts";

const ticket = (id: string) => makeTicket({ id, mode: "5v5", playerIds: [id], playerRatings: [1500], region: "eu", enqueuedAt: 1 });

describe("LocalLease", () => {
  it("one holder at a time; takeover only after expiry; tokens only grow", async () => {
    let now = 0;
    const lease = new LocalLease(() => now);
    const a = await lease.tryAcquire("5v5/eu", "matcher-a", 1000);
    assert.ok(a);
    assert.equal(await lease.tryAcquire("5v5/eu", "matcher-b", 1000), null);
    now = 900;
    const renewed = await lease.renew(a, 1000);
    assert.ok(renewed);
    now = 1800;
    assert.equal(await lease.tryAcquire("5v5/eu", "matcher-b", 1000), null, "renewed until 1900");
    now = 2000; // a stopped renewing
    const b = await lease.tryAcquire("5v5/eu", "matcher-b", 1000);
    assert.ok(b);
    assert.ok(b.token > a.token);
    assert.equal(await lease.renew(a, 1000), null, "a lost it");
    await lease.release(a); // a stale release must not free b's lease
    assert.equal(await lease.tryAcquire("5v5/eu", "matcher-c", 1000), null);
    await lease.release(b);
    assert.ok(await lease.tryAcquire("5v5/eu", "matcher-c", 1000));
  });

  it("the store refuses a deposed leader's claim", async () => {
    let now = 0;
    const lease = new LocalLease(() => now);
    const store = new MemoryTicketStore();
    await store.add(ticket("x"));
    await store.add(ticket("y"));
    const a = (await lease.tryAcquire("5v5", "a", 100))!;
    now = 500;
    const b = (await lease.tryAcquire("5v5", "b", 100))!;
    assert.ok((await store.claim("5v5", ["x"], "mb", b.token)).ok);
    assert.deepEqual(await store.claim("5v5", ["y"], "ma", a.token), { ok: false, reason: "stale-fence" });
  });
});

describe("RedisLease (own redis-server)", function () {
  this.timeout(20000);
  let redis: TestRedis;
  before(async () => { redis = await startRedis(); });
  after(async () => { await redis?.stop(); });

  it("two matchers race: exactly one wins", async () => {
    const leases: Lease[] = [new RedisLease(redis.client(), Date.now, "race:"), new RedisLease(redis.client(), Date.now, "race:")];
    const grants = await Promise.all(leases.map((l, i) => l.tryAcquire("5v5/eu", `m${i}`, 2000)));
    assert.equal(grants.filter(Boolean).length, 1);
  });

  it("leader dies (stops renewing): the other takes over within a few seconds, stale writes refused", async () => {
    const ttl = 600;
    const leaderLease = new RedisLease(redis.client(), Date.now, "fail:");
    const followerLease = new RedisLease(redis.client(), Date.now, "fail:");
    const store = new RedisTicketStore(redis.client(), "fail:");
    for (const id of ["t1", "t2", "t3"]) await store.add(ticket(id));

    const leader = await leaderLease.tryAcquire("5v5/eu", "leader", ttl);
    assert.ok(leader);
    assert.ok((await store.claim("5v5", ["t1"], "m1", leader.token)).ok);
    // while the leader renews, the follower is kept out
    for (let i = 0; i < 3; i++) {
      await sleep(ttl / 3);
      assert.ok(await leaderLease.renew(leader, ttl));
      assert.equal(await followerLease.tryAcquire("5v5/eu", "follower", ttl), null);
    }
    // leader process "dies": no more renewals; follower polls like a real standby
    const start = Date.now();
    let follower = null;
    while (!follower && Date.now() - start < 5000) {
      follower = await followerLease.tryAcquire("5v5/eu", "follower", ttl);
      if (!follower) await sleep(50);
    }
    assert.ok(follower, "follower took over");
    assert.ok(Date.now() - start < 3000, "takeover within a few seconds");
    assert.ok(follower.token > leader.token);
    assert.ok((await store.claim("5v5", ["t2"], "m2", follower.token)).ok);
    // the old leader wakes up and tries to write with its stale token
    assert.deepEqual(await store.claim("5v5", ["t3"], "m3", leader.token), { ok: false, reason: "stale-fence" });
    assert.equal(await leaderLease.renew(leader, ttl), null);
    assert.equal((await store.get("t3"))?.state, "waiting");
  });

  it("tokens stay monotonic across a Redis data loss (FLUSHALL): a deposed leader's old token is refused", async () => {
    const client = redis.client();
    const oldLease = new RedisLease(client, Date.now, "loss:");
    const newLease = new RedisLease(redis.client(), Date.now, "loss:");
    const store = new RedisTicketStore(client, "loss:");
    // several grants before the loss, so the old counter is well above 1
    let old = null;
    for (let i = 0; i < 3; i++) {
      old = (await oldLease.tryAcquire("5v5", "old", 60_000))!;
      await oldLease.release(old);
    }
    old = (await oldLease.tryAcquire("5v5", "old", 60_000))!;
    await client.flushall(); // what a restarted redis-server without persistence looks like
    for (const id of ["a", "b"]) await store.add(ticket(id));
    await sleep(20); // a real restart takes seconds; the new grant's clock is past the old one's
    const fresh = await newLease.tryAcquire("5v5", "new", 60_000);
    assert.ok(fresh, "the lease key is gone: a new leader is granted");
    assert.ok(fresh.token > old.token, `new token ${fresh.token} above the old ${old.token}`);
    assert.ok((await store.claim("5v5", ["a"], "m-new", fresh.token)).ok);
    assert.deepEqual(await store.claim("5v5", ["b"], "m-old", old.token), { ok: false, reason: "stale-fence" });
    assert.equal(await oldLease.renew(old, 1000), null, "the old grant is gone");
  });
});
