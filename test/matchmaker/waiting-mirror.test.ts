import assert from "node:assert/strict";
import fc from "fast-check";
import { makeTicket, type Ticket } from "../../matchmaker/ticket.ts";
import { MemoryTicketStore, type TicketStore } from "../../matchmaker/ticket-store.ts";
import { RedisTicketStore } from "../../matchmaker/ticket-store-redis.ts";
import { WaitingMirror } from "../../matchmaker/waiting-mirror.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";

// The leader's mirror of a waiting list, kept from the store's change log, must equal a full read
// after every sync, whatever happened in between; claims stay fenced in the store, so a mirror
// that is stale between syncs can only propose a claim the store refuses.

const SHARDS = ["default", "eu"] as const;

function ticket(id: number, version: number, enq: number): Ticket {
  return makeTicket({
    id: `t${id}`, mode: "5v5", playerIds: [`p${id}.${version}`], playerRatings: [1400 + version],
    region: "eu", latencies: { eu: 20 }, enqueuedAt: enq,
  });
}

type Op =
  | { kind: "add"; id: number; shard: number; enq: number }
  | { kind: "cancel"; id: number }
  | { kind: "claim"; ids: number[]; shard: number; stale: boolean }
  | { kind: "requeue"; id: number }
  | { kind: "expire"; id: number }
  | { kind: "remove"; id: number }
  | { kind: "sync"; shard: number }
  /** another reader follows the log (trims it past the mirror's cursor) */
  | { kind: "rival"; shard: number }
  /** Redis lost every key (a restart without persistence) */
  | { kind: "wipe" };

const id = fc.integer({ min: 0, max: 11 });
const shard = fc.integer({ min: 0, max: 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("add" as const), id, shard, enq: fc.integer({ min: 0, max: 50 }) }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant("cancel" as const), id }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("claim" as const), ids: fc.uniqueArray(id, { minLength: 1, maxLength: 3 }), shard, stale: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("requeue" as const), id }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("expire" as const), id }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("remove" as const), id }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("sync" as const), shard }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("rival" as const), shard }), weight: 1 },
  { arbitrary: fc.constant({ kind: "wipe" as const }), weight: 1 },
);

interface Impl {
  name: string;
  create(): TicketStore;
  wipe?(): Promise<void>;
  runs: number;
}

let redis: TestRedis | undefined;
let shared: ReturnType<TestRedis["client"]> | undefined;
const client = () => (shared ??= redis!.client());
let prefix = "";
let seq = 0;

async function check(impl: Impl, ops: readonly Op[]): Promise<void> {
  const store = impl.create();
  const mirrors = SHARDS.map((s) => new WaitingMirror(store, "5v5", s));
  const version = new Map<number, number>();
  let fence = 10;
  let fenced = false; // some claim with a current fence went through
  const verify = async (k: number) => {
    const got = await mirrors[k].sync();
    const full = await store.listWaiting("5v5", { shard: SHARDS[k] });
    assert.deepEqual(got.tickets.map((t) => t.id), full.map((t) => t.id), `mirror of ${SHARDS[k]} after sync`);
    assert.deepEqual(got.tickets, full, "same ticket contents");
  };
  for (const o of ops) {
    switch (o.kind) {
      case "add": {
        const v = (version.get(o.id) ?? 0) + 1;
        version.set(o.id, v);
        await store.add(ticket(o.id, v, o.enq), SHARDS[o.shard]).catch((err: Error) => assert.match(err.message, /already queued/));
        break;
      }
      case "cancel": await store.cancel(`t${o.id}`); break;
      case "claim": {
        // a stale fence never claims anything; a current one claims all or nothing
        const before = await Promise.all(o.ids.map((i) => store.get(`t${i}`)));
        const r = await store.claim("5v5", o.ids.map((i) => `t${i}`), `m${seq++}`, o.stale ? 1 : fence, SHARDS[o.shard]);
        const after = await Promise.all(o.ids.map((i) => store.get(`t${i}`)));
        if (o.stale && fenced) assert.equal(r.ok, false, "a stale fence is refused");
        if (r.ok && !o.stale) fenced = true;
        if (r.ok) assert.ok(after.every((s) => s?.state === "matched"));
        else assert.deepEqual(after.map((s) => s?.state), before.map((s) => s?.state), "a refused claim changes nothing");
        if (!o.stale) fence++;
        break;
      }
      case "requeue": await store.requeue(`t${o.id}`); break;
      case "expire": await store.expire(`t${o.id}`, 60_000); break;
      case "remove": await store.remove(`t${o.id}`); break;
      case "sync": await verify(o.shard); break;
      case "rival": {
        // a rival that already read once follows the log: its incremental sync trims what it consumed
        const rival = new WaitingMirror(store, "5v5", SHARDS[o.shard]);
        await rival.sync();
        await store.add(ticket(100 + seq++, 0, 0), SHARDS[o.shard]);
        assert.equal((await rival.sync()).full, false);
        break;
      }
      case "wipe": if (impl.wipe) { await impl.wipe(); fenced = false; } break;
    }
  }
  for (let k = 0; k < SHARDS.length; k++) await verify(k);
}

const IMPLS: Impl[] = [
  { name: "MemoryTicketStore", create: () => new MemoryTicketStore(), runs: 300 },
  {
    name: "RedisTicketStore (own redis-server)",
    create: () => { prefix = `mirror${seq++}:`; return new RedisTicketStore(client(), prefix); },
    wipe: async () => {
      const c = client();
      const keys = await c.keys(`${prefix}*`);
      if (keys.length) await c.del(...keys);
    },
    runs: 100,
  },
];

describe("waiting mirror (incremental reads of the waiting list)", function () {
  this.timeout(120_000);
  before(async () => { redis = await startRedis(); });
  after(async () => { await redis?.stop(); });

  for (const impl of IMPLS) {
    it(`${impl.name}: after any add/cancel/claim/requeue/expire/remove interleaving, a sync equals a full read`, async () => {
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => check(impl, ops)), { numRuns: impl.runs });
    });
  }

  it("syncs read only what changed; a Redis data loss or a trimmed log falls back to a full read", async () => {
    const store = new RedisTicketStore(client(), `mirror-io${seq++}:`);
    for (let i = 0; i < 50; i++) await store.add(ticket(i, 1, i));
    const m = new WaitingMirror(store, "5v5", "default");
    const first = await m.sync();
    assert.equal(first.full, true);
    assert.equal(first.read, 50);
    const idle = await m.sync();
    assert.deepEqual({ full: idle.full, read: idle.read }, { full: false, read: 0 });
    assert.equal(idle.tickets, first.tickets, "nothing changed: the same list, the same ticket objects");
    assert.equal((await store.claim("5v5", ["t3", "t4"], "m1", 1)).ok, true);
    await store.add(ticket(60, 1, 60));
    await store.cancel("t7");
    const next = await m.sync();
    assert.deepEqual({ full: next.full, read: next.read, size: next.tickets.length }, { full: false, read: 4, size: 48 });
    assert.equal(next.tickets[0], first.tickets[0], "unchanged tickets keep their identity");
    // a claim from a stale list is refused by the store, not double-seated
    assert.deepEqual(await store.claim("5v5", ["t3", "t5"], "m2", 2), { ok: false, reason: "not-waiting" });
    // another reader trims the log: this mirror's cursor cannot continue
    const rival = new WaitingMirror(store, "5v5", "default");
    await rival.sync();
    await store.add(ticket(61, 1, 61));
    await rival.sync();
    const after = await m.sync();
    assert.equal(after.full, true);
    assert.equal(after.tickets.length, 49);
    // Redis lost its data (a restart without persistence): a new epoch, a full read
    await client().flushall();
    // as many tickets as before and more changes than before: neither a seq nor a count alone
    // would tell this log from a continuation of the lost one
    const ids = after.tickets.map((t) => Number(t.id.slice(1)));
    for (const i of ids) await store.add(ticket(i, 2, i));
    for (const i of ids.slice(0, 15)) {
      await store.cancel(`t${i}`);
      await store.add(ticket(i, 3, i));
    }
    const wiped = await m.sync();
    assert.equal(wiped.full, true);
    assert.deepEqual(wiped.tickets, await store.listWaiting("5v5"));
  });
});
