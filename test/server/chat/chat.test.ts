/**
 * Chat and inbox end to end with the official @colyseus/sdk client: messages go over the `social`
 * room (direct, party, match), history over HTTP; refusals (blocks, length, rate, membership) come
 * back with catalog codes; notifications land in the inbox while the player is offline and are read
 * when it comes online. One node process (what `npm start` runs), one in-process node with a studio
 * chat filter (a function cannot cross a process boundary), and two node processes over a private
 * redis-server and one shared SQLite file for a direct message across nodes.
 */
import assert from "node:assert/strict";
import { Client, type Room } from "@colyseus/sdk";
import { guest, startNodeProcess, startRedis, tempDir, freePort, type NodeHandle, type RedisHandle } from "../../support/processes.ts";
import { sleep, until } from "../../support/wait.ts";
import type { GameNode } from "../../../server/node/index.ts";
import { startTestRally, type TestRally } from "../../../testing/index.ts";
import type { ChatFilter } from "../../../server/chat/index.ts";
import { defaultTestGames, waitForState } from "../../support/rooms.ts";
import { ChatRefusedError, RallyClient, SocialClient, type ChatMessage } from "../../../client-sdk/index.ts";

const JWT_SECRET = "chat-test-secret-7f3a9c1e5b2d8f4a6c0e9b7d5f3a1c8e";
const ADMIN_TOKEN = "chat-admin-4e8b2f6a0c9d7e5b3a1f8c6e4d2b0a9f";

interface Player { playerId: string; name: string; token: string }
type Msg = { type: string; payload: any };

function api(base: string, token: string) {
  return async <T = any>(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
}

const EVENTS = ["snapshot", "presence", "chat", "chat.sent", "chat.error", "inbox", "inbox.unread", "party", "party.invite", "friends"];

interface Social {
  room: Room;
  got: Msg[];
  waitFor(what: string, pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>;
  /** Sends a `chat` message and resolves with the room's reply (`chat.sent` or `chat.error`). */
  send(message: Record<string, unknown>): Promise<Msg>;
}

let refSeq = 0;
async function joinSocial(wsBase: string, p: Player, rooms: Room[]): Promise<Social> {
  const client = new Client(wsBase);
  client.auth.token = p.token;
  const room = await client.joinOrCreate("social");
  rooms.push(room);
  const got: Msg[] = [];
  for (const type of EVENTS) room.onMessage(type, (payload: unknown) => got.push({ type, payload }));
  const waitFor = (what: string, pred: (m: Msg) => boolean, timeoutMs = 10_000) => until(what, () => got.find(pred), timeoutMs);
  await waitFor("snapshot", (m) => m.type === "snapshot");
  let last = 0;
  return {
    room, got, waitFor,
    send: async (message) => {
      // The social room closes a client above 10 messages a second (4002): pace like a person typing fast.
      const wait = last + 120 - Date.now();
      if (wait > 0) await sleep(wait);
      last = Date.now();
      const ref = `r${++refSeq}`;
      room.send("chat", { ...message, ref });
      return waitFor(`reply to ${ref}`, (m) => (m.type === "chat.sent" || m.type === "chat.error") && m.payload.ref === ref);
    },
  };
}

async function befriend(base: string, a: Player, b: Player): Promise<void> {
  assert.equal((await api(base, a.token)("POST", "/v1/friends/requests", { playerId: b.playerId })).status, 200);
  assert.equal((await api(base, b.token)("POST", `/v1/friends/${a.playerId}/accept`)).status, 200);
}

const leaveAll = (rooms: Room[]) => Promise.allSettled(rooms.splice(0).map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));

describe("chat and inbox: one node process", function () {
  this.timeout(60_000);
  let node: NodeHandle;
  const rooms: Room[] = [];
  let n = 0;
  const player = (): Promise<Player> => guest(node.url, `chat-device-${process.pid}-${++n}`);
  const admin = (path: string, body: unknown, token = ADMIN_TOKEN) => fetch(`${node.url}${path}`, {
    method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body),
  });

  before(async () => {
    node = await startNodeProcess({
      JWT_SECRET, ADMIN_TOKEN, LOG_LEVEL: "warn", SERVE_DEMO: "false", AUTH_RATE_PER_MIN: "300",
      CHAT_MAX_LENGTH: "40", CHAT_RATE_PER_MIN: "6",
    });
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.error(node.output.slice(-30).join("\n"));
    await leaveAll(rooms);
  });
  after(async () => { await node?.stop(); });

  it("direct: delivered live to the recipient (and the sender), stored, paged newest first from either side", async () => {
    const [a, b] = [await player(), await player()];
    const [sa, sb] = [await joinSocial(node.url, a, rooms), await joinSocial(node.url, b, rooms)];
    const sent = await sa.send({ channel: "direct", to: b.playerId, text: "  hello there  " });
    assert.equal(sent.type, "chat.sent");
    const message = sent.payload.message;
    assert.equal(message.text, "hello there");
    assert.equal(message.from, a.playerId);
    assert.equal(message.fromName, a.name);
    const delivered = await sb.waitFor("b gets it", (m) => m.type === "chat" && m.payload.id === message.id);
    assert.deepEqual(delivered.payload, message);
    await sa.waitFor("a's own copy", (m) => m.type === "chat" && m.payload.id === message.id);

    for (const text of ["two", "three"]) assert.equal((await sb.send({ channel: "direct", to: a.playerId, text })).type, "chat.sent");
    const page1 = await api(node.url, b.token)("GET", `/v1/chat/direct:${a.playerId}/history?limit=2`);
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.body.messages.map((m: any) => m.text), ["three", "two"]);
    assert.ok(page1.body.nextCursor);
    const page2 = await api(node.url, a.token)("GET", `/v1/chat/${message.channel}/history?limit=2&before=${page1.body.nextCursor}`);
    assert.deepEqual(page2.body.messages, [message]);
    assert.equal(page2.body.nextCursor, null);

    // A stranger cannot read the pair's channel; bad input is refused at the edge.
    const c = await player();
    const stranger = await api(node.url, c.token)("GET", `/v1/chat/${message.channel}/history`);
    assert.equal(stranger.status, 403);
    assert.equal(stranger.body.error.code, "CHAT_NOT_MEMBER");
    assert.equal((await api(node.url, a.token)("GET", `/v1/chat/direct:${b.playerId}/history?before=nope`)).body.error.code, "BAD_REQUEST");
    assert.equal((await api(node.url, a.token)("GET", "/v1/chat/nowhere/history")).status, 400);
    assert.equal((await fetch(`${node.url}/v1/chat/direct:${b.playerId}/history`)).status, 401);
  });

  it("refusals carry codes: blocked either way, too long, empty or malformed, unknown player, over the per-player rate", async () => {
    const [a, b, c] = [await player(), await player(), await player()];
    const [sa, sb] = [await joinSocial(node.url, a, rooms), await joinSocial(node.url, b, rooms)];
    assert.equal((await api(node.url, b.token)("POST", `/v1/friends/${a.playerId}/block`)).status, 200);
    const blocked = await sa.send({ channel: "direct", to: b.playerId, text: "hi?" });
    assert.deepEqual([blocked.type, blocked.payload.code], ["chat.error", "FRIEND_BLOCKED"]);
    assert.equal((await sb.send({ channel: "direct", to: a.playerId, text: "hi" })).payload.code, "FRIEND_BLOCKED");
    assert.ok(!sb.got.some((m) => m.type === "chat"), "nothing reached the blocker");

    const tooLong = await sa.send({ channel: "direct", to: c.playerId, text: "x".repeat(41) });
    assert.deepEqual([tooLong.type, tooLong.payload.code], ["chat.error", "CHAT_TOO_LONG"]);
    assert.equal((await sa.send({ channel: "direct", to: c.playerId, text: "é".repeat(40) })).type, "chat.sent", "40 characters fit");
    assert.equal((await sa.send({ channel: "direct", to: c.playerId, text: "   " })).payload.code, "BAD_REQUEST");
    assert.equal((await sa.send({ channel: "shout", text: "hi" })).payload.code, "BAD_REQUEST");
    assert.equal((await sa.send({ channel: "direct", to: c.playerId, text: "hi", extra: 1 })).payload.code, "BAD_REQUEST");
    assert.equal((await sa.send({ channel: "direct", to: "no-such-player", text: "hi" })).payload.code, "NOT_FOUND");

    // CHAT_RATE_PER_MIN=6: every message that passed the length check spent budget (the blocked one,
    // the 40-character one, the one to an unknown player): 3 more go through, then CHAT_RATE_LIMITED.
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await sa.send({ channel: "direct", to: c.playerId, text: `m${i}` });
      outcomes.push(r.type === "chat.sent" ? "sent" : r.payload.code);
    }
    assert.ok(outcomes.includes("CHAT_RATE_LIMITED"), outcomes.join());
    assert.deepEqual(outcomes.slice(outcomes.indexOf("CHAT_RATE_LIMITED")), outcomes.slice(outcomes.indexOf("CHAT_RATE_LIMITED")).map(() => "CHAT_RATE_LIMITED"));
    assert.equal(outcomes.filter((o) => o === "sent").length + 3, 6, "6 messages per minute in all");
    // The budget is per player: another player still talks.
    assert.equal((await sb.send({ channel: "direct", to: c.playerId, text: "still here" })).type, "chat.sent");
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /rally_chat_messages_total\{[^}]*channel="direct"[^}]*outcome="CHAT_RATE_LIMITED"[^}]*\} [1-9]/);
    assert.match(metrics, /rally_chat_messages_total\{[^}]*channel="direct"[^}]*outcome="sent"[^}]*\} [1-9]/);
  });

  it("party channel: every member gets it, outsiders neither send nor read, history for members, a block inside the party hides both ways", async () => {
    const [a, b, c] = [await player(), await player(), await player()];
    const [sa, sb, sc] = [await joinSocial(node.url, a, rooms), await joinSocial(node.url, b, rooms), await joinSocial(node.url, c, rooms)];
    await befriend(node.url, a, b);
    const party = (await api(node.url, a.token)("POST", "/v1/party", {})).body.party;
    assert.equal((await api(node.url, a.token)("POST", "/v1/party/invite", { playerId: b.playerId })).status, 200);
    // The invite is also an inbox notification.
    const note = await sb.waitFor("party invite in the inbox", (m) => m.type === "inbox" && m.payload.item.kind === "party_invite");
    assert.equal(note.payload.item.data.partyId, party.partyId);
    assert.equal((await api(node.url, b.token)("POST", "/v1/party/accept", { partyId: party.partyId })).status, 200);

    const sent = await sb.send({ channel: "party", text: "ready?" });
    assert.equal(sent.type, "chat.sent");
    assert.equal(sent.payload.message.channel, `party:${party.partyId}`);
    await sa.waitFor("leader gets it", (m) => m.type === "chat" && m.payload.text === "ready?");
    assert.equal((await sc.send({ channel: "party", text: "me too" })).payload.code, "NOT_IN_PARTY");
    const history = await api(node.url, a.token)("GET", `/v1/chat/party:${party.partyId}/history`);
    assert.deepEqual(history.body.messages.map((m: any) => m.text), ["ready?"]);
    assert.equal((await api(node.url, c.token)("GET", `/v1/chat/party:${party.partyId}/history`)).body.error.code, "CHAT_NOT_MEMBER");
    assert.ok(!sc.got.some((m) => m.type === "chat"));

    // A block inside the party: neither side receives or reads the other's messages any more.
    assert.equal((await api(node.url, a.token)("POST", `/v1/friends/${b.playerId}/block`)).status, 200);
    assert.equal((await sa.send({ channel: "party", text: "from a" })).type, "chat.sent");
    assert.equal((await sb.send({ channel: "party", text: "from b" })).type, "chat.sent");
    // b's own copy of its later message is the barrier: a's message would have arrived before it.
    await sb.waitFor("b's own copy", (m) => m.type === "chat" && m.payload.text === "from b");
    await sa.waitFor("a's own copy", (m) => m.type === "chat" && m.payload.text === "from a");
    assert.ok(!sb.got.some((m) => m.type === "chat" && m.payload.text === "from a"), "b never gets a's message");
    assert.ok(!sa.got.some((m) => m.type === "chat" && m.payload.text === "from b"), "a never gets b's message");
    const aView = await api(node.url, a.token)("GET", `/v1/chat/party:${party.partyId}/history`);
    assert.deepEqual(aView.body.messages.map((m: any) => m.text), ["from a"]);
    const bView = await api(node.url, b.token)("GET", `/v1/chat/party:${party.partyId}/history`);
    assert.deepEqual(bView.body.messages.map((m: any) => m.text), ["from b", "ready?"]);
  });

  it("match channel for the players of a match; the result lands in each player's inbox", async () => {
    const [a, b, c] = [await player(), await player(), await player()];
    const [sa, sb, sc] = [await joinSocial(node.url, a, rooms), await joinSocial(node.url, b, rooms), await joinSocial(node.url, c, rooms)];
    const ca = new Client(node.url); ca.auth.token = a.token;
    const cb = new Client(node.url); cb.auth.token = b.token;
    const ra = await ca.joinOrCreate("arena");
    const rb = await cb.joinById(ra.roomId);
    await waitForState(ra, (s: { phase?: string }) => s.phase === "playing", 10_000, "arena playing");
    const matchId = ra.roomId; // an open game's match id is its room id

    const sent = await sa.send({ channel: "match", matchId, text: "glhf" });
    assert.equal(sent.type, "chat.sent", JSON.stringify(sent.payload));
    await sb.waitFor("b gets it", (m) => m.type === "chat" && m.payload.channel === `match:${matchId}`);
    assert.equal((await sc.send({ channel: "match", matchId, text: "hi" })).payload.code, "CHAT_NOT_MEMBER");

    await Promise.all([ra.leave(true), rb.leave(true)]);
    const note = await sa.waitFor("match result notification", (m) => m.type === "inbox" && m.payload.item.kind === "match_result");
    assert.equal(note.payload.item.data.matchId, matchId);
    assert.equal(note.payload.item.data.outcome, "none", "an abandoned match decides nothing");
    await sb.waitFor("b's match result", (m) => m.type === "inbox" && m.payload.item.kind === "match_result");
    // After the match its players still read (and write) its channel: membership comes from the stored result.
    const history = await api(node.url, b.token)("GET", `/v1/chat/match:${matchId}/history`);
    assert.deepEqual(history.body.messages.map((m: any) => m.text), ["glhf"]);
  });

  it("offline inbox: friend request (once) and admin message wait; unread count on joining; read by id and all", async () => {
    const [d, e] = [await player(), await player()];
    assert.equal((await api(node.url, e.token)("POST", "/v1/friends/requests", { playerId: d.playerId })).status, 200);
    // Asking again while the first is unread adds nothing.
    assert.equal((await api(node.url, e.token)("POST", "/v1/friends/requests", { playerId: d.playerId })).status, 200);
    const posted = await admin(`/v1/admin/players/${d.playerId}/inbox`, { title: "Maintenance", body: "Servers restart at 04:00 UTC." });
    assert.equal(posted.status, 201);
    assert.equal((await admin(`/v1/admin/players/${d.playerId}/inbox`, { title: "x", body: "y" }, "wrong-token-0123456789abcdef0123456789")).status, 403);
    assert.equal((await admin("/v1/admin/players/nobody/inbox", { title: "x", body: "y" })).status, 404);
    assert.equal((await admin(`/v1/admin/players/${d.playerId}/inbox`, { title: "", body: "y" })).status, 400);

    const sd = await joinSocial(node.url, d, rooms);
    const snapshot = sd.got.find((m) => m.type === "snapshot")!.payload;
    assert.deepEqual(snapshot.inbox, { unread: 2 });
    const D = api(node.url, d.token);
    const page = await D("GET", "/v1/inbox");
    assert.equal(page.status, 200);
    assert.equal(page.body.unread, 2);
    assert.deepEqual(page.body.items.map((i: any) => i.kind), ["admin", "friend_request"]);
    assert.deepEqual(page.body.items[0].data, { title: "Maintenance", body: "Servers restart at 04:00 UTC." });
    assert.deepEqual(page.body.items[1].data, { playerId: e.playerId, name: e.name });

    // Online now: a new item is pushed with the count.
    await admin(`/v1/admin/players/${d.playerId}/inbox`, { title: "Welcome", body: "Have fun." });
    const live = await sd.waitFor("live inbox push", (m) => m.type === "inbox" && m.payload.item.data.title === "Welcome");
    assert.equal(live.payload.unread, 3);

    const one = await D("POST", "/v1/inbox/read", { ids: [page.body.items[1].id] });
    assert.deepEqual(one.body, { marked: 1, unread: 2 });
    await sd.waitFor("unread count pushed", (m) => m.type === "inbox.unread" && m.payload.unread === 2);
    assert.deepEqual((await D("GET", "/v1/inbox?unread=true")).body.items.map((i: any) => i.kind), ["admin", "admin"]);
    assert.deepEqual((await D("POST", "/v1/inbox/read", { all: true })).body, { marked: 2, unread: 0 });
    assert.equal((await D("POST", "/v1/inbox/read", { ids: [] })).status, 400);
    assert.equal((await D("GET", "/v1/inbox?limit=1")).body.nextCursor !== null, true);
    assert.equal((await api(node.url, e.token)("GET", "/v1/inbox")).body.unread, 0, "another player's inbox is its own");
  });
});

describe("chat: the studio's filter (in-process node)", function () {
  this.timeout(30_000);
  let node: GameNode;
  let url: string;
  const rooms: Room[] = [];
  const seen: Array<{ text: string; kind: string }> = [];
  const filter: ChatFilter = (text, ctx) => {
    seen.push({ text, kind: ctx.kind });
    if (/badword/i.test(text)) return { reject: "profanity" };
    return text.replace(/darn/gi, "d**n");
  };

  let t: TestRally | undefined;

  before(async () => {
    t = await startTestRally({ games: defaultTestGames, chatFilter: filter, env: { JWT_SECRET } });
    ({ node, url } = t);
  });
  after(async () => {
    await leaveAll(rooms);
    await t?.close();
  });

  const player = async (name: string): Promise<Player> => {
    const record = await node.store.players.guest();
    await node.store.players.rename(record.id, name);
    return { playerId: record.id, name, token: (await node.tokens.issue({ playerId: record.id, name })).token };
  };

  it("rewrites what it returns, refuses with its reason, and sees the channel", async () => {
    const [a, b] = [await player("Ann"), await player("Bob")];
    const [sa, sb] = [await joinSocial(url, a, rooms), await joinSocial(url, b, rooms)];
    const rewritten = await sa.send({ channel: "direct", to: b.playerId, text: "oh darn" });
    assert.equal(rewritten.payload.message.text, "oh d**n");
    await sb.waitFor("rewritten delivered", (m) => m.type === "chat" && m.payload.text === "oh d**n");
    const refused = await sa.send({ channel: "direct", to: b.playerId, text: "you BADWORD" });
    assert.deepEqual([refused.type, refused.payload.code, refused.payload.reason], ["chat.error", "CHAT_REJECTED", "profanity"]);
    const history = await api(url, b.token)("GET", `/v1/chat/direct:${a.playerId}/history`);
    assert.deepEqual(history.body.messages.map((m: any) => m.text), ["oh d**n"]);
    assert.deepEqual(seen, [{ text: "oh darn", kind: "direct" }, { text: "you BADWORD", kind: "direct" }]);
  });
  it("client-sdk: social.chat.send / history, refusals as ChatRefusedError, social.inbox list and read", async () => {
    const [ra, rb] = [new RallyClient(url), new RallyClient(url)];
    await ra.auth.guest({ deviceId: `sdk-chat-a-${process.pid}` });
    await rb.auth.guest({ deviceId: `sdk-chat-b-${process.pid}` });
    const [sa, sb] = [new SocialClient(ra), new SocialClient(rb)];
    try {
      await sa.connect();
      const snapshots: number[] = [];
      sb.on("snapshot", (s) => snapshots.push(s.inbox.unread));
      await sb.connect();
      const got: ChatMessage[] = [];
      sb.on("chat", (m) => got.push(m));
      const sent = await sa.chat.send({ channel: "direct", to: rb.auth.playerId!, text: "darn, hi" });
      assert.equal(sent.text, "d**n, hi");
      await until("b's SDK gets it", () => got.some((m) => m.id === sent.id));
      await assert.rejects(sa.chat.send({ channel: "direct", to: rb.auth.playerId!, text: "badword" }),
        (e: unknown) => e instanceof ChatRefusedError && e.code === "CHAT_REJECTED" && e.reason === "profanity");
      await assert.rejects(sa.chat.send({ channel: "party", text: "anyone?" }), (e: unknown) => e instanceof ChatRefusedError && e.code === "NOT_IN_PARTY");
      const page = await sb.chat.history(`direct:${ra.auth.playerId}`, { limit: 10 });
      assert.deepEqual(page.messages.map((m) => m.id), [sent.id]);

      const pushed = new Promise<number>((resolve) => sb.on("inbox", (e) => resolve(e.unread)));
      await sa.friends.request(rb.auth.playerId!);
      assert.equal(await pushed, 1);
      const inbox = await sb.inbox.list();
      assert.deepEqual(inbox.items.map((i) => i.kind), ["friend_request"]);
      assert.equal(inbox.unread, 1);
      assert.deepEqual(await sb.inbox.read("all"), { marked: 1, unread: 0 });
      assert.equal((await sb.inbox.list({ unreadOnly: true })).items.length, 0);
      assert.deepEqual(snapshots, [0]);
    } finally {
      await Promise.allSettled([sa.disconnect(), sb.disconnect()]);
    }
  });
});

describe("chat across nodes (2 node processes, private Redis, one shared SQLite file)", function () {
  this.timeout(90_000);
  let redis: RedisHandle;
  let A: NodeHandle;
  let B: NodeHandle;
  const rooms: Room[] = [];

  before(async () => {
    redis = await startRedis();
    const common = { REDIS_URL: redis.url, JWT_SECRET, ADMIN_TOKEN, LOG_LEVEL: "warn", SERVE_DEMO: "false", SHARED_SQLITE_DIR: tempDir("rally-chat-cluster-") };
    A = await startNodeProcess(common);
    B = await startNodeProcess(common);
  });
  after(async () => {
    await leaveAll(rooms);
    await Promise.allSettled([A?.stop("SIGKILL"), B?.stop("SIGKILL")]);
    await redis?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") for (const n of [A, B]) console.error(`--- node ${n.port}:\n${n.output.slice(-30).join("\n")}`);
  });

  it("a direct message sent on one node reaches the recipient's social room on the other; both nodes serve its history", async () => {
    const [a, b] = [await guest(A.url, `chat-cluster-a-${process.pid}`), await guest(B.url, `chat-cluster-b-${process.pid}`)];
    const sa = await joinSocial(A.url, a, rooms);
    const sb = await joinSocial(B.url, b, rooms);
    const sent = await sa.send({ channel: "direct", to: b.playerId, text: "across the cluster" });
    assert.equal(sent.type, "chat.sent");
    const got = await sb.waitFor("b on node B gets it", (m) => m.type === "chat" && m.payload.id === sent.payload.message.id);
    assert.equal(got.payload.text, "across the cluster");
    for (const node of [A, B]) {
      const history = await api(node.url, b.token)("GET", `/v1/chat/direct:${a.playerId}/history`);
      assert.deepEqual(history.body.messages.map((m: any) => m.id), [sent.payload.message.id]);
    }
    // An inbox notification posted through node A reaches b live on node B.
    const res = await fetch(`${A.url}/v1/admin/players/${b.playerId}/inbox`, {
      method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ title: "Hi", body: "from A" }),
    });
    assert.equal(res.status, 201);
    await sb.waitFor("inbox push across nodes", (m) => m.type === "inbox" && m.payload.item.data.body === "from A");
  });
});
