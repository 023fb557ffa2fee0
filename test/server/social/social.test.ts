/**
 * Social, lobby and relay end to end with the official @colyseus/sdk client: friends over HTTP with
 * presence pushed over the `social` room, parties (invites, codes, leader hand-over, queueing
 * together), the lobby's realtime listing of custom games (public and private with a join code),
 * relay sessions with relay tokens and host migration. The cluster part runs two node processes over
 * one real redis-server and SIGKILLs one to see its players go offline.
 */
import assert from "node:assert/strict";
import { Client, type Room } from "@colyseus/sdk";
import { guest, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle } from "../../support/processes.ts";
import { startTestNode, type TestNode } from "../../support/rooms.ts";
import { RallyClient, RelayClient, SocialClient } from "../../../client-sdk/index.ts";
import { sleep, until } from "../../support/wait.ts";
import { refusedWith } from "../../support/refusal.ts";

const JWT_SECRET = "social-test-secret-0123456789-abcdefghijklmnop";

interface Player { playerId: string; name: string; token: string }

/** HTTP against a node as one player; errors resolve to `{ status, body }` too. */
function api(base: string, p: Player) {
  return async <T = Record<string, unknown>>(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${p.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
}

/** Collects every message of the given types from an SDK room. */
function inbox(room: Room, types: string[]) {
  const got: Array<{ type: string; payload: any }> = [];
  for (const type of types) room.onMessage(type, (payload: unknown) => got.push({ type, payload }));
  return {
    got,
    waitFor: (what: string, pred: (m: { type: string; payload: any }) => boolean, timeoutMs = 10_000) =>
      until(what, () => got.find(pred), timeoutMs),
  };
}

const SOCIAL_EVENTS = ["snapshot", "presence", "friends", "party", "party.invite", "party.queue", "party.queue.cancelled"];

async function joinSocial(base: string, p: Player) {
  const client = new Client(base);
  client.auth.token = p.token;
  const room = await client.joinOrCreate("social");
  const box = inbox(room, SOCIAL_EVENTS);
  await box.waitFor("snapshot", (m) => m.type === "snapshot");
  return { client, room, box };
}

async function befriend(base: string, a: Player, b: Player): Promise<void> {
  assert.equal((await api(base, a)("POST", "/v1/friends/requests", { playerId: b.playerId })).status, 200);
  assert.equal((await api(base, b)("POST", `/v1/friends/${a.playerId}/accept`)).status, 200);
}

describe("social: one node", function () {
  this.timeout(60_000);
  let node: TestNode;
  const rooms: Room[] = [];
  let n = 0;
  const player = async (): Promise<Player> => guest(node.url, `social-device-${process.pid}-${++n}`);
  const track = <T extends { room: Room }>(x: T) => (rooms.push(x.room), x);

  before(async () => { node = await startTestNode({ PRESENCE_TTL_MS: "3000" }); });
  afterEach(async () => { await Promise.allSettled(rooms.splice(0).map((r) => (r.connection?.isOpen ? r.leave(true) : undefined))); });
  after(async () => { await node?.close(); });

  it("friends: request, accept, list with presence; decline, remove; validation and error codes", async () => {
    const [a, b, c] = [await player(), await player(), await player()];
    const A = api(node.url, a);
    assert.equal((await A("POST", "/v1/friends/requests", { playerId: a.playerId })).body.error ? (await A("POST", "/v1/friends/requests", { playerId: a.playerId })).status : 0, 400);
    const bad = await A("POST", "/v1/friends/requests", { playerId: "x", extra: 1 });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as any).error.code, "BAD_REQUEST");
    assert.equal((await A("POST", "/v1/friends/requests", { playerId: "nobody-here" })).status, 404);
    assert.equal((await A("GET", "/v1/friends")).status, 200);
    assert.equal((await fetch(`${node.url}/v1/friends`)).status, 401);

    const sb = track(await joinSocial(node.url, b));
    assert.deepEqual((await A("POST", "/v1/friends/requests", { playerId: b.playerId })).body, { status: "requested" });
    await sb.box.waitFor("request pushed to b", (m) => m.type === "friends" && m.payload.kind === "request" && m.payload.playerId === a.playerId);
    const bList = (await api(node.url, b)("GET", "/v1/friends")).body as any;
    assert.deepEqual(bList.incoming.map((e: any) => e.playerId), [a.playerId]);
    await api(node.url, b)("POST", `/v1/friends/${a.playerId}/accept`);
    const aList = (await A("GET", "/v1/friends")).body as any;
    assert.equal(aList.friends.length, 1);
    assert.equal(aList.friends[0].playerId, b.playerId);
    assert.equal(aList.friends[0].presence.status, "online", "b holds a social connection");

    // decline and remove
    await api(node.url, c)("POST", "/v1/friends/requests", { playerId: a.playerId });
    assert.equal((await A("POST", `/v1/friends/${c.playerId}/decline`)).status, 200);
    const again = await A("POST", `/v1/friends/${c.playerId}/decline`);
    assert.equal((again.body as any).error.code, "FRIEND_REQUEST_NOT_FOUND");
    assert.equal((await A("POST", `/v1/friends/${b.playerId}/remove`)).status, 200);
    await sb.box.waitFor("removal pushed", (m) => m.type === "friends" && m.payload.kind === "removed");
    assert.equal(((await A("GET", "/v1/friends")).body as any).friends.length, 0);
  });

  it("block: the blocked player cannot request, invite or see presence", async () => {
    const [a, b] = [await player(), await player()];
    await befriend(node.url, a, b);
    const sa = track(await joinSocial(node.url, a));
    assert.equal((await api(node.url, b)("POST", `/v1/friends/${a.playerId}/block`)).status, 200);
    await sa.box.waitFor("a learns it lost a friend", (m) => m.type === "friends" && m.payload.kind === "removed");
    const req = await api(node.url, a)("POST", "/v1/friends/requests", { playerId: b.playerId });
    assert.equal((req.body as any).error.code, "FRIEND_BLOCKED");
    assert.equal(req.status, 403);
    await api(node.url, a)("POST", "/v1/party", {});
    const inv = await api(node.url, a)("POST", "/v1/party/invite", { playerId: b.playerId });
    assert.equal((inv.body as any).error.code, "FRIEND_BLOCKED");
    // b comes online: a (blocked) gets no presence push about b, and a's list does not show b
    sa.box.got.length = 0;
    const sb = track(await joinSocial(node.url, b));
    await sleep(300);
    assert.equal(sa.box.got.filter((m) => m.type === "presence" && m.payload.playerId === b.playerId).length, 0);
    assert.deepEqual(((await api(node.url, a)("GET", "/v1/friends")).body as any).friends, []);
    await sb.room.leave(true);
    await api(node.url, a)("POST", "/v1/party/leave");
  });

  it("presence is pushed to friends: online, in match with the mode, offline", async () => {
    const [a, b] = [await player(), await player()];
    await befriend(node.url, a, b);
    const sa = track(await joinSocial(node.url, a));
    const sb = await joinSocial(node.url, b);
    await sa.box.waitFor("b online", (m) => m.type === "presence" && m.payload.playerId === b.playerId && m.payload.status === "online");
    await node.node.social.presence.set(b.playerId, { status: "in_queue", mode: "arena" });
    await sa.box.waitFor("b in queue", (m) => m.type === "presence" && m.payload.playerId === b.playerId && m.payload.status === "in_queue" && m.payload.mode === "arena");
    await node.node.social.presence.set(b.playerId, null);
    // joining a match room marks the player "in match" through the room's join event
    const arena = new Client(node.url);
    arena.auth.token = b.token;
    const match = await arena.joinOrCreate("arena", {});
    await sa.box.waitFor("b in match", (m) => m.type === "presence" && m.payload.playerId === b.playerId && m.payload.status === "in_match");
    await match.leave(true);
    await sa.box.waitFor("b back online", (m) => m.type === "presence" && m.payload.playerId === b.playerId && m.payload.status === "online" && sa.box.got.some((x) => x.payload?.status === "in_match"));
    await sb.room.leave(true);
    await sa.box.waitFor("b offline", (m) => m.type === "presence" && m.payload.playerId === b.playerId && m.payload.status === "offline");
  });

  it("parties: create, invite a friend, accept, promote, kick, join by code, size cap, other players' party ids refused", async () => {
    const [a, b, c, d] = [await player(), await player(), await player(), await player()];
    await befriend(node.url, a, b);
    const sb = track(await joinSocial(node.url, b));
    const A = api(node.url, a);
    const created = (await A("POST", "/v1/party", { mode: "arena" })) as { status: number; body: any };
    assert.equal(created.status, 201);
    const party = created.body.party;
    assert.equal(party.leaderId, a.playerId);
    assert.equal(party.maxSize, 2, "arena takes parties of 2 (its team size)");
    assert.match(party.code, /^[A-Z2-9]{6}$/);
    assert.equal(((await A("POST", "/v1/party/invite", { playerId: c.playerId })).body as any).error.code, "NOT_FRIENDS");
    await A("POST", "/v1/party/invite", { playerId: b.playerId });
    const invite = await sb.box.waitFor("invite", (m) => m.type === "party.invite");
    assert.equal(invite.payload.partyId, party.partyId);
    // c has no invite
    assert.equal(((await api(node.url, c)("POST", "/v1/party/accept", { partyId: party.partyId })).body as any).error.code, "PARTY_INVITE_NOT_FOUND");
    const joined = (await api(node.url, b)("POST", "/v1/party/accept", { partyId: party.partyId })).body as any;
    assert.deepEqual(joined.party.members.map((m: any) => m.playerId), [a.playerId, b.playerId]);
    await sb.box.waitFor("party update", (m) => m.type === "party" && m.payload?.members.length === 2);
    // full for arena: a third by code is refused; switching to 5v5 lets it in
    assert.equal(((await api(node.url, c)("POST", "/v1/party/join", { code: party.code })).body as any).error.code, "PARTY_FULL");
    assert.equal(((await api(node.url, b)("POST", "/v1/party/mode", { mode: "5v5" })).body as any).error.code, "NOT_PARTY_LEADER");
    await A("POST", "/v1/party/mode", { mode: "5v5" });
    const withC = (await api(node.url, c)("POST", "/v1/party/join", { code: party.code.toLowerCase() })).body as any;
    assert.equal(withC.party.members.length, 3);
    // the queue's PartyDirectory: members only
    assert.deepEqual((await node.node.social.parties.forQueue(party.partyId, c.playerId)).memberIds, [a.playerId, b.playerId, c.playerId]);
    await assert.rejects(node.node.social.parties.forQueue(party.partyId, d.playerId), (e: { code?: string }) => e.code === "NOT_IN_PARTY");
    await assert.rejects(node.node.social.parties.forQueue("nope-nope-nope", a.playerId), (e: { code?: string }) => e.code === "PARTY_NOT_FOUND");
    // going back to arena with 3 members is refused
    assert.equal(((await A("POST", "/v1/party/mode", { mode: "arena" })).body as any).error.code, "PARTY_FULL");
    // promote, kick
    await A("POST", "/v1/party/promote", { playerId: b.playerId });
    assert.equal(((await A("POST", "/v1/party/kick", { playerId: c.playerId })).body as any).error.code, "NOT_PARTY_LEADER");
    const kicked = (await api(node.url, b)("POST", "/v1/party/kick", { playerId: c.playerId })).body as any;
    assert.deepEqual(kicked.party.members.map((m: any) => m.playerId), [a.playerId, b.playerId]);
    assert.equal(((await api(node.url, c)("GET", "/v1/party")).body as any).party, null);
    // a player in a party cannot join another one
    await api(node.url, d)("POST", "/v1/party", {});
    const dParty = ((await api(node.url, d)("GET", "/v1/party")).body as any).party;
    assert.equal(((await A("POST", "/v1/party/join", { code: dParty.code })).body as any).error.code, "ALREADY_IN_PARTY");
    for (const p of [a, b, d]) await api(node.url, p)("POST", "/v1/party/leave");
  });

  it("parties: the leader queueing notifies members; a member leaving cancels for all; the leader's disconnect hands leadership over", async () => {
    const [a, b, c] = [await player(), await player(), await player()];
    await befriend(node.url, a, b);
    await befriend(node.url, a, c);
    const sa = await joinSocial(node.url, a);
    const sb = track(await joinSocial(node.url, b));
    const sc = track(await joinSocial(node.url, c));
    const A = api(node.url, a);
    const { party } = (await A("POST", "/v1/party", { mode: "5v5" })).body as any;
    for (const p of [b, c]) {
      await A("POST", "/v1/party/invite", { playerId: p.playerId });
      await api(node.url, p)("POST", "/v1/party/accept", { partyId: party.partyId });
    }
    assert.equal(((await api(node.url, b)("POST", "/v1/party/queue", { mode: "5v5" })).body as any).error.code, "NOT_PARTY_LEADER");
    await A("POST", "/v1/party/queue", { mode: "5v5" });
    for (const s of [sa, sb, sc]) {
      const m = await s.box.waitFor("queue notice", (x) => x.type === "party.queue");
      assert.deepEqual(m.payload, { partyId: party.partyId, mode: "5v5" });
    }
    await api(node.url, c)("POST", "/v1/party/leave");
    for (const s of [sa, sb, sc]) await s.box.waitFor("queue cancelled", (x) => x.type === "party.queue.cancelled" && x.payload.playerId === c.playerId);
    // the leader's social connection closes for good: leadership passes to b
    await sa.room.leave(true);
    const update = await sb.box.waitFor("new leader", (x) => x.type === "party" && x.payload?.leaderId === b.playerId);
    assert.deepEqual(update.payload.members.map((m: any) => m.playerId), [b.playerId]);
    await api(node.url, b)("POST", "/v1/party/leave");
  });

  it("lobby lists custom games in real time; filters by mode; a private game needs its join code", async () => {
    const [a, b, c] = [await player(), await player(), await player()];
    const lobbyClient = new Client(node.url);
    lobbyClient.auth.token = c.token;
    const lobby = await lobbyClient.joinOrCreate("lobby");
    rooms.push(lobby);
    let listed: any[] = [];
    lobby.onMessage("rooms", (list: any[]) => { listed = list; });
    lobby.onMessage("+", ([roomId, listing]: [string, any]) => { listed = [...listed.filter((r) => r.roomId !== roomId), listing]; });
    lobby.onMessage("-", (roomId: string) => { listed = listed.filter((r) => r.roomId !== roomId); });
    await until("initial list", () => Array.isArray(listed));

    const host = new Client(node.url);
    host.auth.token = a.token;
    const pub = await host.create("custom", { name: "Friday night", mode: "ctf", maxClients: 4 });
    rooms.push(pub);
    const entry = await until("public game listed with its host", () => listed.find((r) => r.roomId === pub.roomId && r.metadata?.hostName));
    assert.equal(entry.metadata.name, "Friday night");
    assert.equal(entry.metadata.mode, "ctf", "filterBy value kept in the metadata (spread)");
    assert.equal(entry.metadata.region, "local");
    assert.equal(entry.metadata.hostName, a.name);
    // filterBy works: joinOrCreate with the same mode lands in the same room
    const joiner = new Client(node.url);
    joiner.auth.token = b.token;
    const same = await joiner.joinOrCreate("custom", { mode: "ctf" });
    assert.equal(same.roomId, pub.roomId);
    await until("listing counts 2 clients", () => listed.find((r) => r.roomId === pub.roomId)?.clients === 2);
    await same.leave(true);

    const priv = await host.create("custom", { name: "Secret", mode: "ctf", private: true });
    rooms.push(priv);
    await sleep(200);
    assert.equal(listed.some((r) => r.roomId === priv.roomId), false, "a private game is not listed");
    const code = await until("code in state", () => (priv.state as any).code as string);
    await assert.rejects(joiner.joinById(priv.roomId, {}), refusedWith("JOIN_CODE_NOT_FOUND"));
    const resolved = (await api(node.url, b)("GET", `/v1/join-codes/${code}`)).body as any;
    assert.deepEqual(resolved, { kind: "custom", roomId: priv.roomId });
    const inPriv = await joiner.joinById(priv.roomId, { code });
    assert.equal(inPriv.roomId, priv.roomId);
    assert.equal(((await api(node.url, b)("GET", "/v1/join-codes/ZZZZZZ")).body as any).error.code, "JOIN_CODE_NOT_FOUND");
    await inPriv.leave(true);

    await pub.leave(true);
    await until("host left: game gone from the lobby", () => !listed.some((r) => r.roomId === pub.roomId));
  });

  it("relay: a relay token is required; messages pass between peers; size limit; the session ends when the host leaves", async () => {
    const [a, b] = [await player(), await player()];
    const created = (await api(node.url, a)("POST", "/v1/relay", { maxClients: 4 })).body as any;
    assert.ok(created.roomId && created.relayToken && /^[A-Z2-9]{6}$/.test(created.code));
    const ca = new Client(node.url); ca.auth.token = a.token;
    const cb = new Client(node.url); cb.auth.token = b.token;
    await assert.rejects(cb.joinById(created.roomId, {}), refusedWith("RELAY_TOKEN_INVALID"));
    const host = await ca.joinById(created.roomId, { relayToken: created.relayToken });
    rooms.push(host);
    // a token is single-use and bound to its player
    await assert.rejects(cb.joinById(created.roomId, { relayToken: created.relayToken }), refusedWith("RELAY_TOKEN_INVALID"));
    const forB = (await api(node.url, b)("POST", "/v1/relay/join", { code: created.code })).body as any;
    assert.equal(forB.roomId, created.roomId);
    const peer = await cb.joinById(forB.roomId, { relayToken: forB.relayToken });
    rooms.push(peer);
    await until("host in state", () => (peer.state as any).host === host.sessionId);
    const got = inbox(peer, ["move", "error", "ended", "to"]);
    const hostBox = inbox(host, ["move", "to"]);
    host.send("move", { x: 1 });
    const m = await got.waitFor("relayed move", (x) => x.type === "move");
    assert.deepEqual(m.payload, [host.sessionId, { x: 1 }]);
    peer.send("to", { to: host.sessionId, data: "hi" });
    assert.deepEqual((await hostBox.waitFor("directed", (x) => x.type === "to")).payload, [peer.sessionId, "hi"]);
    host.send("move", { blob: "x".repeat(5000) });
    // too big: dropped for everyone (the sender gets an error); a following small one still passes
    host.send("move", { x: 2 });
    await got.waitFor("second move", (x) => x.type === "move" && x.payload[1].x === 2);
    assert.equal(got.got.filter((x) => x.type === "move").length, 2);
    await host.leave(true);
    await got.waitFor("session ended", (x) => x.type === "ended" && x.payload.reason === "host-left");
  });

  it("relay with migrateHost: the next peer becomes host when the host leaves", async () => {
    const [a, b, c] = [await player(), await player(), await player()];
    const created = (await api(node.url, a)("POST", "/v1/relay", { migrateHost: true })).body as any;
    const join = async (p: Player, token: string) => { const cl = new Client(node.url); cl.auth.token = p.token; const r = await cl.joinById(created.roomId, { relayToken: token }); rooms.push(r); return r; };
    const host = await join(a, created.relayToken);
    const rb = await join(b, ((await api(node.url, b)("POST", "/v1/relay/join", { code: created.code })).body as any).relayToken);
    const rc = await join(c, ((await api(node.url, c)("POST", "/v1/relay/join", { code: created.code })).body as any).relayToken);
    const box = inbox(rc, ["host"]);
    await until("three peers", () => (rc.state as any).players?.size === 3);
    await host.leave(true);
    const moved = await box.waitFor("host migrated", (x) => x.type === "host");
    assert.equal(moved.payload.sessionId, rb.sessionId);
    await until("state host", () => (rc.state as any).host === rb.sessionId);
  });
});

describe("social: client-sdk helpers", function () {
  this.timeout(60_000);
  let node: TestNode;
  before(async () => { node = await startTestNode(); });
  after(async () => { await node?.close(); });

  it("friends, party queue notice and a relay session through RallyClient + SocialClient/RelayClient", async () => {
    const [ra, rb] = [new RallyClient(node.url), new RallyClient(node.url)];
    await ra.auth.guest({ deviceId: `sdk-social-a-${process.pid}` });
    await rb.auth.guest({ deviceId: `sdk-social-b-${process.pid}` });
    const [sa, sb] = [new SocialClient(ra), new SocialClient(rb)];
    await sa.connect();
    await sb.connect();
    const requests: string[] = [];
    sb.on("friends", (e) => requests.push(e.kind));
    assert.equal(await sa.friends.request(rb.auth.playerId!), "requested");
    await until("request event", () => requests.includes("request"));
    const online = until("a sees b online", () => new Promise<boolean>((resolve) => sa.on("presence", (p) => p.playerId === rb.auth.playerId && p.status === "online" && resolve(true))));
    await sb.friends.accept(ra.auth.playerId!);
    await online;
    assert.equal((await sa.friends.list()).friends[0]?.presence.status, "online");
    const party = await sa.party.create("5v5");
    const invited = new Promise<string>((resolve) => sb.on("partyInvite", (i) => resolve(i.partyId)));
    await sa.party.invite(rb.auth.playerId!);
    await sb.party.accept(await invited);
    const queued = new Promise<{ partyId: string; mode: string }>((resolve) => sb.on("partyQueue", resolve));
    await sa.party.queue("5v5");
    assert.deepEqual(await queued, { partyId: party.partyId, mode: "5v5" });
    await sb.party.leave();
    assert.equal(await sb.party.current(), null);

    const relayA = new RelayClient(ra);
    const host = await relayA.host();
    assert.match(host.code ?? "", /^[A-Z2-9]{6}$/);
    const peer = await new RelayClient(rb).join(host.code!);
    const got = new Promise<[string, string, unknown]>((resolve) => peer.on("message", (type, from, data) => resolve([type, from, data])));
    await until("host set", () => host.isHost);
    host.send("hello", { n: 1 });
    assert.deepEqual(await got, ["hello", host.sessionId, { n: 1 }]);
    await peer.leave();
    await host.leave();
    await sa.disconnect();
    await sb.disconnect();
  });
});

describe("social: two nodes sharing Redis", function () {
  this.timeout(90_000);
  let redis: RedisHandle | undefined;
  let A: NodeHandle;
  let B: NodeHandle;
  let common: Record<string, string>;
  const rooms: Room[] = [];
  const nodes: NodeHandle[] = [];

  before(async () => {
    redis = await startRedis();
    // One store for the cluster: the embedded SQLite file both processes share (what `npm run cluster` does).
    common = { REDIS_URL: redis.url, JWT_SECRET, LOG_LEVEL: "warn", SERVE_DEMO: "false", PRESENCE_TTL_MS: "2000", SHARED_SQLITE_DIR: tempDir("rally-social-cluster-") };
    A = await startNodeProcess(common);
    B = await startNodeProcess(common);
    nodes.push(A, B);
  });
  after(async () => {
    await Promise.allSettled(rooms.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") for (const n of nodes) console.error(`--- node ${n.port}:\n${n.output.slice(-30).join("\n")}`);
  });

  async function socialOn(node: NodeHandle, p: Player) {
    const s = await joinSocial(node.url, p);
    rooms.push(s.room);
    return s;
  }
  const processOf = async (node: NodeHandle) => ((await (await fetch(`${node.url}/readyz`)).json()) as { processId: string }).processId;

  it("social rooms stay on the node the client reached", async () => {
    const [a, b] = [await guest(A.url, "cluster-social-local-a"), await guest(B.url, "cluster-social-local-b")];
    const [sa, sb] = [await socialOn(A, a), await socialOn(B, b)];
    assert.equal(new URL(sa.room.connection.url!).pathname.split("/")[1], await processOf(A));
    assert.equal(new URL(sb.room.connection.url!).pathname.split("/")[1], await processOf(B));
  });

  it("friends and parties across nodes: pushes reach the member on the other node; any node serves the party", async () => {
    const [a, b] = [await guest(A.url, "cluster-social-a"), await guest(B.url, "cluster-social-b")];
    const sa = await socialOn(A, a);
    const sb = await socialOn(B, b);
    assert.equal((await api(A.url, a)("POST", "/v1/friends/requests", { playerId: b.playerId })).status, 200);
    await sb.box.waitFor("request crosses nodes", (m) => m.type === "friends" && m.payload.kind === "request");
    assert.equal((await api(B.url, b)("POST", `/v1/friends/${a.playerId}/accept`)).status, 200);
    await sa.box.waitFor("b's presence reaches a on the other node", (m) => m.type === "presence" && m.payload.playerId === b.playerId && m.payload.status === "online");
    const { party } = (await api(A.url, a)("POST", "/v1/party", { mode: "5v5" })).body as any;
    await api(A.url, a)("POST", "/v1/party/invite", { playerId: b.playerId });
    await sb.box.waitFor("invite crosses nodes", (m) => m.type === "party.invite" && m.payload.partyId === party.partyId);
    const accepted = (await api(B.url, b)("POST", "/v1/party/accept", { partyId: party.partyId })).body as any;
    assert.equal(accepted.party.members.length, 2);
    const seenOnA = (await api(A.url, a)("GET", "/v1/party")).body as any;
    assert.deepEqual(seenOnA.party.members.map((m: any) => m.playerId), [a.playerId, b.playerId]);
    await api(B.url, a)("POST", "/v1/party/queue", { mode: "5v5" });
    await sb.box.waitFor("queue notice across nodes", (m) => m.type === "party.queue" && m.payload.partyId === party.partyId);
    await api(A.url, b)("POST", "/v1/party/leave");
    await sa.box.waitFor("queue cancelled across nodes", (m) => m.type === "party.queue.cancelled" && m.payload.playerId === b.playerId);
    await api(A.url, a)("POST", "/v1/party/leave");
  });

  it("presence goes offline within seconds when a node is SIGKILLed; the dead leader's party passes to a live member", async () => {
    const C = await startNodeProcess(common);
    nodes.push(C);
    const [a, b] = [await guest(A.url, "cluster-kill-a"), await guest(C.url, "cluster-kill-b")];
    await befriend(A.url, a, b);
    const sa = await socialOn(A, a);
    const sb = await joinSocial(C.url, b);
    assert.equal(new URL(sb.room.connection.url!).pathname.split("/")[1], await processOf(C));
    await sa.box.waitFor("b online", (m) => m.type === "presence" && m.payload.playerId === b.playerId && m.payload.status === "online");
    const { party } = (await api(A.url, b)("POST", "/v1/party", { mode: "5v5" })).body as any;
    await api(A.url, b)("POST", "/v1/party/invite", { playerId: a.playerId });
    await api(A.url, a)("POST", "/v1/party/accept", { partyId: party.partyId });
    await C.stop("SIGKILL");
    const t0 = Date.now();
    await sa.box.waitFor("b offline after the kill", (m) => m.type === "presence" && m.payload.playerId === b.playerId && m.payload.status === "offline", 15_000);
    const offlineMs = Date.now() - t0;
    const friends = (await api(A.url, a)("GET", "/v1/friends")).body as any;
    assert.equal(friends.friends[0].presence.status, "offline");
    await sa.box.waitFor("a leads the party now", (m) => m.type === "party" && m.payload?.leaderId === a.playerId, 10_000);
    console.log(`      (offline pushed ${offlineMs} ms after SIGKILL, PRESENCE_TTL_MS=2000)`);
  });
});
