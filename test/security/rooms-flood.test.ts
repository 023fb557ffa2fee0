/**
 * Issue #12 items 2 and 17: one player cannot exhaust a node. Rooms a player creates per minute,
 * rooms and connections a player holds at once, one `social` line per player, and the matchmaking
 * route's per-address limit, against a real node with the official SDK.
 */
import assert from "node:assert/strict";
import { waitForState, leaveCode } from "../support/rooms.ts";
import { refusal, settle, startSecureNode, type SecureNode } from "../support/security-rooms.ts";
import { decodeRefusal } from "../../protocol/index.ts";

describe("security: room and connection flooding (one node)", function () {
  this.timeout(60_000);
  let t: SecureNode;

  before(async () => {
    t = await startSecureNode({
      ROOM_CAPACITY: "8", ROOM_CREATES_PER_MIN: "6", MAX_ROOMS_PER_PLAYER: "4", MAX_CONNECTIONS_PER_PLAYER: "6",
      API_RATE_PER_MIN: "120",
    });
  });
  after(async () => t?.close());

  it("a player creating arena rooms in a burst is refused (ROOM_LIMIT / RATE_LIMITED) while two others still get a match", async () => {
    const flooder = await t.guest();
    const burst = await settle(Array.from({ length: 20 }, () => t.client(flooder.token).create("arena")));
    assert.ok(burst.ok.length <= 4, `the flooder holds ${burst.ok.length} rooms (MAX_ROOMS_PER_PLAYER=4)`);
    assert.ok(burst.errors.length >= 16, "the rest of the burst is refused");
    for (const e of burst.errors) assert.ok(["ROOM_LIMIT", "RATE_LIMITED"].includes(decodeRefusal(e).code), e);
    // Still refused once the burst is over (the rooms it holds stay counted).
    await refusal(t.client(flooder.token).create("arena"), ["ROOM_LIMIT", "RATE_LIMITED"]);

    const [b, c] = [await t.guest(), await t.guest()];
    const roomB = await t.client(b.token).create("arena");
    const roomC = await t.client(c.token).joinById(roomB.roomId);
    await waitForState(roomB, (s: { phase?: string }) => s.phase === "playing", 10_000, "the second players' match playing");
    await Promise.all([roomB.leave(), roomC.leave(), ...burst.ok.map((r) => r.leave())]);
  });

  it("a player gets one social line: a newer connection replaces the older (4409); clients cannot create social rooms", async () => {
    const p = await t.guest();
    const first = await t.client(p.token).joinOrCreate("social");
    const firstClosed = leaveCode(first, 10_000);
    const second = await t.client(p.token).joinOrCreate("social");
    assert.equal(await firstClosed, 4409);
    await refusal(t.client(p.token).create("social"), "ROOM_BAD_OPTIONS");
    await second.leave();
  });

  it("a player's connections are capped (MAX_CONNECTIONS_PER_PLAYER) across rooms", async () => {
    const p = await t.guest();
    const joins = [];
    for (let i = 0; i < 9; i++) joins.push(await t.client(p.token).joinOrCreate("lobby").catch((e: Error) => e));
    const rooms = joins.filter((j) => !(j instanceof Error));
    const refused = joins.filter((j): j is Error => j instanceof Error);
    assert.equal(rooms.length, 6, "six lobby connections, then refusals");
    for (const e of refused) assert.equal(decodeRefusal(e).code, "ROOM_LIMIT", e.message);
    // Leaving frees a slot.
    await (rooms[0] as { leave(): Promise<unknown> }).leave();
    const again = await t.client(p.token).joinOrCreate("lobby");
    await Promise.all([again, ...rooms.slice(1)].map((r) => (r as { leave(): Promise<unknown> }).leave()));
  });

  it("the matchmaking route is rate-limited per client address (429 RATE_LIMITED), with or without a token", async () => {
    const statuses: number[] = [];
    let lastBody = "";
    for (let i = 0; i < 130; i++) {
      const res = await fetch(`${t.url}/matchmake/joinOrCreate/lobby`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      statuses.push(res.status);
      if (res.status === 429) lastBody = await res.text();
      else await res.arrayBuffer();
      if (res.status === 429) break;
    }
    assert.equal(statuses.at(-1), 429, `statuses: ${statuses.join(",")}`);
    // Colyseus' matchmaking error body: { code, error } with the refusal text
    assert.equal(decodeRefusal((JSON.parse(lastBody) as { error: string }).error).code, "RATE_LIMITED");
  });
});
