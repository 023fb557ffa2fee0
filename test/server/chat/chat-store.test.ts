/**
 * Conformance of `Store.chat` and `Store.inbox` for every Store implementation: SQLite (memory and
 * file) and PostgreSQL (a private server, through the 003 migration) always; MongoDB (mongoose)
 * whenever MONGO_URL is set. History pages newest first by message id, retention prunes by age in
 * bounded batches, the inbox counts unread items and marks them read by id or all at once.
 */
import assert from "node:assert/strict";
import { createMemoryStore, type ChatMessage, type InboxItem, type Store } from "../../../server/store/index.ts";
import { InboxService, RetentionPruner, chatId, notifyResults } from "../../../server/chat/index.ts";
import type { SocialBus } from "../../../server/social/index.ts";
import type { MatchResult } from "../../../rooms/index.ts";
import { storeDrivers } from "../../support/store-drivers.ts";

const implementations = storeDrivers("chat");

const T0 = 1_700_000_000_000;
const message = (channel: string, at: number, text: string, from = "a"): ChatMessage => ({ id: chatId(at), channel, from, fromName: `N${from}`, text, at });
const item = (playerId: string, at: number, kind: InboxItem["kind"] = "admin", id = chatId(at)): InboxItem => ({ id, playerId, kind, data: { n: at - T0 }, at, readAt: null });

for (const impl of implementations) {
  describe(`Store.chat / Store.inbox conformance: ${impl.name}`, () => {
    let store: Store;
    before(async function () {
      this.timeout(120_000);
      await impl.start?.();
    });
    after(async () => impl.stop?.());
    beforeEach(async () => { store = await impl.open(); });
    afterEach(async () => { await store.close(); });

    it("history pages newest first with a message-id cursor; channels are apart; appends are idempotent", async () => {
      const sent = Array.from({ length: 7 }, (_, i) => message("direct:a:b", T0 + i * 10, `m${i}`));
      for (const m of sent) await store.chat.append(m);
      await store.chat.append(sent[3]!); // a retry changes nothing
      await store.chat.append(message("party:p1", T0 + 5, "elsewhere"));
      const page1 = await store.chat.history("direct:a:b", { limit: 3 });
      assert.deepEqual(page1.map((m) => m.text), ["m6", "m5", "m4"]);
      assert.deepEqual(page1[0], sent[6]);
      const page2 = await store.chat.history("direct:a:b", { limit: 3, before: page1.at(-1)!.id });
      assert.deepEqual(page2.map((m) => m.text), ["m3", "m2", "m1"]);
      const page3 = await store.chat.history("direct:a:b", { limit: 3, before: page2.at(-1)!.id });
      assert.deepEqual(page3.map((m) => m.text), ["m0"]);
      assert.deepEqual((await store.chat.history("party:p1", { limit: 10 })).map((m) => m.text), ["elsewhere"]);
      assert.deepEqual(await store.chat.history("match:none", { limit: 10 }), []);
    });

    it("retention: prune deletes only messages older than the cutoff, in bounded batches, and is idempotent", async () => {
      for (let i = 0; i < 5; i++) await store.chat.append(message("party:p", T0 + i * 1000, `old${i}`));
      await store.chat.append(message("party:p", T0 + 10_000, "new"));
      assert.equal(await store.chat.prune(T0 + 5000, 3), 3);
      assert.equal(await store.chat.prune(T0 + 5000, 3), 2);
      assert.equal(await store.chat.prune(T0 + 5000, 3), 0);
      assert.deepEqual((await store.chat.history("party:p", { limit: 10 })).map((m) => m.text), ["new"]);
    });

    it("inbox: unread count, pages newest first, mark read by id and all; adds idempotent by id", async () => {
      const items = Array.from({ length: 5 }, (_, i) => item("p1", T0 + i * 10, i % 2 ? "friend_request" : "admin"));
      for (const it of items) assert.equal(await store.inbox.add(it), true);
      assert.equal(await store.inbox.add(items[0]!), false);
      await store.inbox.add(item("p2", T0));
      assert.equal(await store.inbox.unread("p1"), 5);
      assert.equal(await store.inbox.unread("nobody"), 0);
      const page = await store.inbox.list("p1", { limit: 2 });
      assert.deepEqual(page.map((i) => i.id), [items[4]!.id, items[3]!.id]);
      assert.deepEqual(page[1], items[3]);
      assert.deepEqual((await store.inbox.list("p1", { limit: 10, before: page[1]!.id })).map((i) => i.id), [items[2]!.id, items[1]!.id, items[0]!.id]);

      assert.equal(await store.inbox.markRead("p1", [items[4]!.id, items[0]!.id, "unknown-id"], T0 + 99), 2);
      assert.equal(await store.inbox.markRead("p1", [items[4]!.id], T0 + 100), 0, "already read");
      assert.equal(await store.inbox.markRead("p2", [items[1]!.id], T0 + 100), 0, "another player's id");
      assert.equal(await store.inbox.unread("p1"), 3);
      assert.equal((await store.inbox.list("p1", { limit: 10 }))[0]!.readAt, T0 + 99);
      assert.deepEqual((await store.inbox.list("p1", { limit: 10, unreadOnly: true })).map((i) => i.id), [items[3]!.id, items[2]!.id, items[1]!.id]);
      assert.equal(await store.inbox.markRead("p1", "all", T0 + 200), 3);
      assert.equal(await store.inbox.unread("p1"), 0);
      assert.equal(await store.inbox.unread("p2"), 1);
    });

    it("inbox retention prunes old items of every player", async () => {
      await store.inbox.add(item("p1", T0));
      await store.inbox.add(item("p2", T0 + 1));
      await store.inbox.add(item("p1", T0 + 10_000));
      assert.equal(await store.inbox.prune(T0 + 5000, 100), 2);
      assert.equal(await store.inbox.unread("p1"), 1);
      assert.equal(await store.inbox.unread("p2"), 0);
    });
  });
}

describe("RetentionPruner (embedded store)", () => {
  it("one run deletes chat and inbox rows past their retention, in batches, and leaves the rest", async () => {
    const store = await createMemoryStore();
    try {
      const now = T0 + 100 * 86_400_000;
      for (let i = 0; i < 7; i++) await store.chat.append(message("party:x", T0 + i, `old${i}`));
      await store.chat.append(message("party:x", now - 1000, "fresh"));
      await store.inbox.add(item("p", now - 40 * 86_400_000));
      await store.inbox.add(item("p", now - 1000));
      const pruner = new RetentionPruner({ store, chatRetentionMs: 30 * 86_400_000, inboxRetentionMs: 30 * 86_400_000, intervalMs: 60_000, batch: 3, now: () => now });
      assert.deepEqual(await pruner.run(), { chat: 7, inbox: 1 });
      assert.deepEqual(await pruner.run(), { chat: 0, inbox: 0 });
      assert.deepEqual((await store.chat.history("party:x", { limit: 10 })).map((m) => m.text), ["fresh"]);
      assert.equal(await store.inbox.unread("p"), 1);
    } finally {
      await store.close();
    }
  });
});

describe("InboxService (embedded store)", () => {
  it("a match result reported twice (a retry) notifies each player once; a duplicate unread request is not repeated", async () => {
    const store = await createMemoryStore();
    const pushed: Array<{ playerId: string; type: string }> = [];
    const bus: SocialBus = {
      toPlayer: (playerId, type) => void pushed.push({ playerId, type }),
      toPlayers: (ids, type) => { for (const playerId of ids) pushed.push({ playerId, type }); },
    };
    try {
      const inbox = new InboxService(store, bus);
      const result: MatchResult = {
        matchId: "m_1", roomName: "arena", region: "local", mode: "arena", outcome: "completed", reason: "score-limit",
        startedAt: T0, endedAt: T0 + 60_000, durationMs: 60_000, winnerTeam: 0,
        teams: [{ team: 0, score: 3, playerIds: ["p1"] }, { team: 1, score: 1, playerIds: ["p2"] }],
        players: [{ playerId: "p1", name: "A", team: 0, score: 3, present: true }, { playerId: "p2", name: "B", team: 1, score: 1, present: true }],
      };
      let stored = 0;
      const sink = notifyResults({ report: async () => { stored++; } }, () => inbox, (err) => { throw err; });
      await sink.report(result);
      await sink.report(result);
      assert.equal(stored, 2);
      const [p1] = (await inbox.list("p1", { limit: 10 })).items;
      assert.deepEqual(p1?.data, { matchId: "m_1", mode: "arena", outcome: "win", team: 0, score: 3, endedAt: T0 + 60_000 });
      assert.equal((await inbox.list("p2", { limit: 10 })).items[0]?.data.outcome, "loss");
      assert.equal(await inbox.unread("p1"), 1);
      assert.deepEqual(pushed.filter((p) => p.type === "inbox").map((p) => p.playerId), ["p1", "p2"]);

      assert.ok(await inbox.notify("p3", "friend_request", { playerId: "x", name: "X" }, { sameAs: ["playerId"] }));
      assert.equal(await inbox.notify("p3", "friend_request", { playerId: "x", name: "X" }, { sameAs: ["playerId"] }), null);
      assert.ok(await inbox.notify("p3", "friend_request", { playerId: "y", name: "Y" }, { sameAs: ["playerId"] }));
      await inbox.read("p3", "all");
      assert.ok(await inbox.notify("p3", "friend_request", { playerId: "x", name: "X" }, { sameAs: ["playerId"] }), "once read, a new request shows again");
      assert.equal(await inbox.unread("p3"), 1);
    } finally {
      await store.close();
    }
  });
});
