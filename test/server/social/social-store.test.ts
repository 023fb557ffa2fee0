/**
 * Conformance of `Store.friends` for every Store implementation: the embedded SQLite store (memory
 * and file) and PostgreSQL (a private server) always; MongoDB (mongoose) whenever MONGO_URL is set
 * (a replica set, for transactions).
 */
import assert from "node:assert/strict";
import { type Store } from "../../../server/store/index.ts";
import { storeDrivers } from "../../support/store-drivers.ts";

const implementations = storeDrivers("social");

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: { code?: string }) => e.code === code || assert.fail(`expected ${code}, got ${String(e.code)}: ${String(e)}`));
}

const kinds = async (store: Store, playerId: string) =>
  Object.fromEntries((await store.friends.list(playerId)).map((l) => [l.playerId, l.kind]));

for (const impl of implementations) {
  describe(`Store.friends conformance: ${impl.name}`, () => {
    let store: Store;
    before(async function () {
      this.timeout(120_000);
      await impl.start?.();
    });
    after(async () => impl.stop?.());
    beforeEach(async () => { store = await impl.open(); });
    afterEach(async () => { await store.close(); });

    it("request, then accept: both sides are friends and no request is left", async () => {
      assert.equal(await store.friends.request("a", "b"), "requested");
      assert.deepEqual(await kinds(store, "a"), { b: "outgoing" });
      assert.deepEqual(await kinds(store, "b"), { a: "incoming" });
      assert.equal(await store.friends.areFriends("a", "b"), false);
      await store.friends.accept("b", "a");
      assert.deepEqual(await kinds(store, "a"), { b: "friend" });
      assert.deepEqual(await kinds(store, "b"), { a: "friend" });
      assert.equal(await store.friends.areFriends("b", "a"), true);
      assert.deepEqual(await store.friends.friendIds("a"), ["b"]);
      assert.equal(await store.friends.request("a", "b"), "already-friends");
    });

    it("crossing requests become a friendship; accepting what was never asked is refused", async () => {
      await store.friends.request("a", "b");
      assert.equal(await store.friends.request("b", "a"), "accepted");
      assert.equal(await store.friends.areFriends("a", "b"), true);
      await rejectsCode(store.friends.accept("c", "a"), "FRIEND_REQUEST_NOT_FOUND");
      // a's own outgoing request cannot be "accepted" by a
      await store.friends.request("a", "c");
      await rejectsCode(store.friends.accept("a", "c"), "FRIEND_REQUEST_NOT_FOUND");
    });

    it("decline drops a request either way; remove ends a friendship", async () => {
      await store.friends.request("a", "b");
      assert.equal(await store.friends.decline("b", "a"), true);
      assert.equal(await store.friends.decline("b", "a"), false);
      assert.deepEqual(await kinds(store, "a"), {});
      await store.friends.request("a", "b");
      assert.equal(await store.friends.decline("a", "b"), true, "the sender can withdraw");
      await store.friends.request("a", "b");
      await store.friends.accept("b", "a");
      assert.equal(await store.friends.remove("b", "a"), true);
      assert.equal(await store.friends.remove("b", "a"), false);
      assert.deepEqual(await store.friends.friendIds("a"), []);
    });

    it("block drops friendship and requests both ways and refuses new requests from either side", async () => {
      await store.friends.request("a", "b");
      await store.friends.accept("b", "a");
      await store.friends.request("c", "a");
      await store.friends.block("a", "b");
      await store.friends.block("a", "b"); // idempotent
      await store.friends.block("a", "c");
      assert.deepEqual(await kinds(store, "a"), { b: "blocked", c: "blocked" });
      assert.deepEqual(await kinds(store, "b"), {}, "being blocked is not visible");
      assert.equal(await store.friends.blocked("b", "a"), true);
      assert.equal(await store.friends.blocked("a", "b"), true);
      await rejectsCode(store.friends.request("b", "a"), "FRIEND_BLOCKED");
      await rejectsCode(store.friends.request("a", "b"), "FRIEND_BLOCKED");
      assert.equal(await store.friends.unblock("a", "b"), true);
      assert.equal(await store.friends.unblock("a", "b"), false);
      assert.equal(await store.friends.blocked("a", "b"), false);
      assert.equal(await store.friends.request("b", "a"), "requested");
    });

    it("concurrent crossing requests end as one friendship", async () => {
      const out = await Promise.all([store.friends.request("x", "y"), store.friends.request("y", "x")]);
      assert.deepEqual([...out].sort(), ["accepted", "requested"], "the second request accepts the first");
      assert.equal(await store.friends.areFriends("x", "y"), true);
    });
  });
}
