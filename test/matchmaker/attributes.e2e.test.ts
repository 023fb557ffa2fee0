/**
 * Custom ticket attributes end to end on one node, with official @colyseus/sdk clients: a studio game
 * whose mode declares map preferences (overlap) and an input device (equal). Disjoint map lists never
 * meet; overlapping ones do, and the match room is created with the common maps. A client sending
 * `attributes.rating` or a value the schema refuses is refused with a code, before any ticket exists.
 */
import assert from "node:assert/strict";
import type { Client, StepContext } from "@colyseus/core";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { schema, t as field } from "@colyseus/schema";
import { MatchRoom, defineGame, z } from "../../server/index.ts";
import { acceptSeat, joinQueue, startMmNode, until, within, type MmNode, type Queued } from "../support/matchmaker-e2e.ts";
import { refusedWith } from "../support/refusal.ts";

const MapState = schema({ maps: field.string().default("") }, "AttributesTestState");
type MapState = InstanceType<typeof MapState>;

/** A match of nothing but its map: the state shows the common maps the room was created with. */
class MapRoom extends MatchRoom<MapState> {
  static created: Array<Readonly<Record<string, unknown>>> = [];
  protected createState(): MapState {
    MapRoom.created.push(this.matchAttributes);
    const s = new MapState();
    s.maps = JSON.stringify(this.matchAttributes.map ?? []);
    return s;
  }
  protected onPlayerJoin(_client: Client): void {}
  protected onStep(_step: StepContext): void {}
  protected scores() { return { teams: [0, 0], players: new Map<string, number>() }; }
  protected registerInputs(): void {}
}

const MAPS = ["dust", "port", "mill", "keep"] as const;
const game = defineGame({
  room: MapRoom,
  modes: {
    maps: {
      teams: 2, teamSize: 1,
      attributes: z.object({ map: z.array(z.enum(MAPS)).min(1).max(4), device: z.enum(["pad", "kbm"]) }),
      attributeRules: { map: "overlap", device: "equal" },
    },
  },
});

describe("matchmaker e2e: custom ticket attributes", function () {
  this.timeout(60_000);
  let t: MmNode;
  const open: SdkRoom[] = [];

  before(async () => { t = await startMmNode({}, { games: { maps: game } }); });
  afterEach(async () => { await Promise.allSettled(open.splice(0).map((r) => (r.connection?.isOpen ? r.leave(true) : undefined))); });
  after(async () => { await t?.close(); });

  const queueFor = async (attributes: Record<string, unknown>) => {
    const p = await t.player();
    const client = t.client(p.token);
    const q = await joinQueue(client, { mode: "maps", attributes });
    open.push(q.queue);
    return { p, client, q };
  };
  const searching = (q: Queued) => until("searching", async () => q.statuses.some((s) => s.state === "searching"), 10_000, 20);

  it("disjoint map preferences never meet; overlapping ones do, and the room gets the common maps", async () => {
    const a = await queueFor({ map: ["dust", "port"], device: "pad" });
    const b = await queueFor({ map: ["mill", "keep"], device: "pad" });
    await Promise.all([searching(a.q), searching(b.q)]);
    // several passes (1 s each) go by: a and b never share a match
    const early = await Promise.race([a.q.seat.then(() => "seat"), new Promise((r) => setTimeout(() => r("none"), 3500))]);
    assert.equal(early, "none", "disjoint maps must not match");
    const c = await queueFor({ map: ["keep", "port"], device: "pad" });
    // c overlaps both; the oldest (a) meets it on "port"
    const [roomA, roomC] = await Promise.all([acceptSeat(a.client, a.q), acceptSeat(c.client, c.q)]);
    open.push(roomA, roomC);
    assert.equal(roomA.roomId, roomC.roomId);
    await until("the room's state", async () => typeof (roomA.state as { maps?: unknown } | undefined)?.maps === "string" && (roomA.state as unknown as { maps: string }).maps !== "", 5000, 20);
    assert.deepEqual(JSON.parse((roomA.state as unknown as { maps: string }).maps), ["port"]);
    assert.deepEqual(MapRoom.created.at(-1), { map: ["port"], device: "pad" });
    // b is still waiting, alone
    assert.ok(!b.q.statuses.some((s) => s.state === "matched"));
  });

  it("another device never meets, whatever the maps", async () => {
    const a = await queueFor({ map: ["dust"], device: "kbm" });
    const b = await queueFor({ map: ["dust"], device: "pad" });
    await Promise.all([searching(a.q), searching(b.q)]);
    const early = await Promise.race([a.q.seat.then(() => "seat"), b.q.seat.then(() => "seat"), new Promise((r) => setTimeout(() => r("none"), 2500))]);
    assert.equal(early, "none");
    const c = await queueFor({ map: ["dust", "mill"], device: "kbm" });
    const [roomA, roomC] = await Promise.all([acceptSeat(a.client, a.q), acceptSeat(c.client, c.q)]);
    open.push(roomA, roomC);
    assert.equal(roomA.roomId, roomC.roomId);
  });

  it("refuses attributes.rating (MM_FORBIDDEN_OPTION) and values the schema refuses (MM_BAD_ATTRIBUTES), before any ticket", async () => {
    const p = await t.player();
    const client = t.client(p.token);
    await assert.rejects(client.joinOrCreate("queue", { mode: "maps", attributes: { map: ["dust"], device: "pad", rating: 3000 } }), refusedWith("MM_FORBIDDEN_OPTION"));
    await assert.rejects(client.joinOrCreate("queue", { mode: "maps", attributes: { map: ["atlantis"], device: "pad" } }), (e: unknown) => {
      refusedWith("MM_BAD_ATTRIBUTES")(e);
      assert.match((e as Error).message, /attributes\.map/);
      return true;
    });
    await assert.rejects(client.joinOrCreate("queue", { mode: "maps", attributes: { map: ["dust"] } }), refusedWith("MM_BAD_ATTRIBUTES"));
    await assert.rejects(client.joinOrCreate("queue", { mode: "maps", rating: 3000 }), refusedWith("MM_FORBIDDEN_OPTION"));
    assert.equal(await t.node.matchmaker.players.get(p.playerId), undefined, "no ticket, no record");
    // the same player queues fine with valid attributes
    const q = await within(joinQueue(client, { mode: "maps", attributes: { map: ["dust"], device: "pad" } }), 5000, "a valid join");
    open.push(q.queue);
  });
});
