/**
 * Issue 12, social items against a real node: blocks and incoming requests bounded, `GET /v1/friends`
 * paginated (12), the memory KV drops expired entries with no reader (13), social routes refuse
 * non-JSON bodies (15), a relay with no node to host it is 503 NO_NODE_AVAILABLE (16).
 */
import assert from "node:assert/strict";
import { MemoryKv } from "../../server/social/kv.ts";
import { sleep, until } from "../support/wait.ts";
import type { TestNode } from "../support/rooms.ts";
import { ADMIN_TOKEN, call, errorCode, guest, startSecurityNode } from "../support/security-http.ts";

describe("security: social routes and state", function () {
  this.timeout(60_000);

  describe("on one node", () => {
    let t: TestNode;
    before(async () => { t = await startSecurityNode({ FRIENDS_MAX_BLOCKED: "3", FRIENDS_MAX_INCOMING: "3" }); });
    after(async () => { await t?.close(); });

    it("12. blocking a player who does not exist is NOT_FOUND and stores nothing", async () => {
      const me = await guest(t.url);
      const r = await call(t.url, "POST", "/v1/friends/no-such-player-123/block", { token: me.token });
      assert.equal(r.status, 404, r.text);
      assert.equal(errorCode(r), "NOT_FOUND");
      assert.deepEqual((await call(t.url, "GET", "/v1/friends", { token: me.token })).body.blocked, []);
    });

    it("12. blocks are capped at FRIENDS_MAX_BLOCKED (re-blocking the same player is fine)", async () => {
      const me = await guest(t.url);
      const others = await Promise.all([0, 1, 2, 3].map(() => guest(t.url)));
      for (const o of others.slice(0, 3)) assert.equal((await call(t.url, "POST", `/v1/friends/${o.playerId}/block`, { token: me.token })).status, 200);
      assert.equal((await call(t.url, "POST", `/v1/friends/${others[0]!.playerId}/block`, { token: me.token })).status, 200);
      const over = await call(t.url, "POST", `/v1/friends/${others[3]!.playerId}/block`, { token: me.token });
      assert.equal(over.status, 409, over.text);
      assert.equal(errorCode(over), "FRIEND_LIMIT");
    });

    it("12. pending requests one player receives are capped at FRIENDS_MAX_INCOMING", async () => {
      const target = await guest(t.url);
      const askers = await Promise.all([0, 1, 2, 3].map(() => guest(t.url)));
      for (const a of askers.slice(0, 3)) {
        assert.equal((await call(t.url, "POST", "/v1/friends/requests", { body: { playerId: target.playerId }, token: a.token })).body.status, "requested");
      }
      const over = await call(t.url, "POST", "/v1/friends/requests", { body: { playerId: target.playerId }, token: askers[3]!.token });
      assert.equal(over.status, 409, over.text);
      assert.equal(errorCode(over), "FRIEND_LIMIT");
      assert.equal((await call(t.url, "GET", "/v1/friends", { token: target.token })).body.incoming.length, 3);
      // The target can still ask someone itself.
      assert.equal((await call(t.url, "POST", "/v1/friends/requests", { body: { playerId: askers[3]!.playerId }, token: target.token })).body.status, "requested");
    });

    it("12. GET /v1/friends is paginated (limit, cursor) with the old fields", async () => {
      const me = await guest(t.url);
      const others = await Promise.all([0, 1, 2, 3, 4].map(() => guest(t.url)));
      for (const o of others.slice(0, 2)) {
        await call(t.url, "POST", "/v1/friends/requests", { body: { playerId: me.playerId }, token: o.token });
        await call(t.url, "POST", `/v1/friends/${o.playerId}/accept`, { token: me.token });
      }
      await call(t.url, "POST", "/v1/friends/requests", { body: { playerId: me.playerId }, token: others[2]!.token });
      await call(t.url, "POST", "/v1/friends/requests", { body: { playerId: others[3]!.playerId }, token: me.token });
      await call(t.url, "POST", `/v1/friends/${others[4]!.playerId}/block`, { token: me.token });

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await call(t.url, "GET", `/v1/friends?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: me.token });
        assert.equal(r.status, 200, r.text);
        for (const k of ["friends", "incoming", "outgoing", "blocked"]) assert.ok(Array.isArray(r.body[k]), k);
        const page = [...r.body.friends, ...r.body.incoming, ...r.body.outgoing, ...r.body.blocked] as Array<{ playerId: string; name: string; since: number }>;
        assert.ok(page.length <= 2, `page of ${page.length}`);
        for (const f of r.body.friends) assert.ok(f.presence && f.name && f.since, "friend entries keep name, since, presence");
        seen.push(...page.map((e) => e.playerId));
        cursor = r.body.nextCursor as string | null;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual([...seen].sort(), others.map((o) => o.playerId).sort());
      assert.equal(errorCode(await call(t.url, "GET", "/v1/friends?cursor=nonsense", { token: me.token })), "BAD_REQUEST");
      assert.equal(errorCode(await call(t.url, "GET", "/v1/friends?limit=0", { token: me.token })), "BAD_REQUEST");
    });

    it("15. social routes refuse a non-JSON body like the rest of /v1 (and change nothing)", async () => {
      const me = await guest(t.url);
      for (const [path, raw, type] of [["/v1/party", "{\"mode\":null}", "text/plain"], ["/v1/relay", "{}", "application/x-www-form-urlencoded"]] as const) {
        const r = await call(t.url, "POST", path, { raw, token: me.token, headers: { "content-type": type } });
        assert.equal(r.status, 400, `${path}: ${r.text}`);
        assert.equal(errorCode(r), "BAD_REQUEST");
        assert.match(r.body.error.message, /application\/json/);
      }
      assert.equal((await call(t.url, "GET", "/v1/party", { token: me.token })).body.party, null, "no party was made");
      const sameOnV1 = await call(t.url, "PATCH", "/v1/players/me", { raw: "{\"name\":\"Plain\"}", token: me.token, headers: { "content-type": "text/plain" } });
      assert.equal(sameOnV1.status, 400);
    });

    it("13. the node's memory KV drops expired entries on its timer with no reader", async function () {
      this.timeout(30_000);
      const kv = t.node.social.kv;
      assert.ok(kv instanceof MemoryKv, "one node without Redis keeps social state in memory");
      for (let i = 0; i < 200; i++) await kv.set(`sec-test:${i}`, "x", 50);
      const before = kv.size;
      assert.ok(before >= 200);
      await until("expired entries to be swept", () => kv.size <= before - 200, 20_000, 200);
    });
  });

  describe("13. MemoryKv expiry sweep", () => {
    it("start() sweeps expired entries on a timer, keeps live ones, close() stops it", async () => {
      let now = 1_000;
      const kv = new MemoryKv(() => now, 10);
      for (let i = 0; i < 1000; i++) await kv.set(`k${i}`, "v", 100);
      await kv.set("forever", "v");
      await kv.set("later", "v", 10_000);
      now += 500;
      assert.equal(kv.size, 1002, "nothing read them yet");
      kv.start();
      try {
        await until("the sweep", () => kv.size === 2, 5000, 10);
        assert.equal(await kv.get("forever"), "v");
        assert.equal(await kv.get("later"), "v");
      } finally {
        kv.close();
      }
      await kv.set("after-close", "v", 1);
      now += 10;
      await sleep(50);
      assert.equal(kv.size, 3, "no sweep after close()");
    });
  });

  describe("16. room creation errors map to catalog codes", () => {
    let t: TestNode;
    before(async () => { t = await startSecurityNode(); });
    after(async () => { await t?.close(); });

    it("POST /v1/relay with no node that can take the room is 503 NO_NODE_AVAILABLE, not 500", async () => {
      const me = await guest(t.url);
      const drain = await call(t.url, "POST", `/v1/admin/nodes/${t.node.processId}/drain`, { token: ADMIN_TOKEN });
      assert.equal(drain.status, 202, drain.text);
      await until("the node to be draining", async () => (await fetch(`${t.url}/readyz`)).status === 503);
      const r = await call(t.url, "POST", "/v1/relay", { body: {}, token: me.token });
      assert.equal(r.status, 503, r.text);
      assert.equal(errorCode(r), "NO_NODE_AVAILABLE");
    });
  });
});
