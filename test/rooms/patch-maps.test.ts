/**
 * MatchRoom renews the Maps Colyseus empties on every patch (rooms/patch-maps.ts), so a long-running
 * match never drifts into promoting all its patch bytes. These tests pin the Colyseus internals that
 * workaround relies on: if an upgrade renames them, the workaround silently becomes a no-op, and this
 * file is what says so. And the match still syncs exactly as before.
 */
import assert from "node:assert/strict";
import { matchMaker, type Room } from "@colyseus/core";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { StateView } from "@colyseus/schema";
import { renewPatchMaps } from "../../rooms/index.ts";
import { ArenaRoom } from "../../examples/arena/index.ts";
import { defineGame } from "../../server/index.ts";
import { startTestNode, waitForState, type TestNode } from "../support/rooms.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SDK rooms decode the state without static types
type Client = SdkRoom<any, any>;

class QuickArena extends ArenaRoom {
  protected override startDelayMs = 50;
}

/** The Colyseus internals renewPatchMaps touches (private in its typings). */
interface Internals { clients: Room["clients"]; _serializer: { encodedViews: Map<unknown, unknown> } }

describe("patch maps", function () {
  this.timeout(30_000);
  let t: TestNode;

  before(async () => {
    t = await startTestNode({}, { games: { "arena-quick": defineGame({ room: QuickArena }) } });
  });
  after(() => t.close());

  it("gives every view and the serializer fresh Maps after each patch, and the match syncs as before", async () => {
    const [roomA, roomB]: Client[] = await t.playingPair("arena-quick");

    const room = matchMaker.getLocalRoomById(roomA.roomId) as unknown as Internals;
    const views = () => room.clients.map((c) => (c.view as StateView).changes);
    assert.ok(room._serializer.encodedViews instanceof Map, "Colyseus still keeps its per-view patch cache in _serializer.encodedViews");
    const before = { views: views(), cache: room._serializer.encodedViews };
    assert.equal(before.views.length, 2);
    assert.ok(before.views.every((m) => m instanceof Map), "StateView still keeps its pending changes in .changes");

    // a move of A's reaches B (shared state) and A's own input seq reaches only A (its view)
    roomA.send("input", { seq: 42, x: 1, y: 0, aim: 0, fire: false });
    await waitForState(roomA, (s) => s.players.get(roomA.sessionId)?.lastSeq === 42, 5000, "A's view patched");
    const startX = roomB.state.players.get(roomA.sessionId).x;
    await waitForState(roomB, (s) => s.players.get(roomA.sessionId).x > startX, 5000, "A's move seen by B");

    const after = { views: views(), cache: room._serializer.encodedViews };
    after.views.forEach((m, i) => assert.notEqual(m, before.views[i], "view Map renewed"));
    assert.notEqual(after.cache, before.cache, "serializer cache renewed");
    assert.ok(after.views.every((m) => m.size === 0) && after.cache.size === 0, "renewed Maps are empty between patches");
    await Promise.all([roomA.leave(), roomB.leave()]);
  });

  it("leaves a Map that still holds entries alone", () => {
    const view = new StateView();
    const pending = view.changes;
    pending.set(1, new Map());
    const room = { clients: [{ view }], _serializer: { encodedViews: new Map([["x", new Uint8Array(1)]]) } } as unknown as Room;
    assert.equal(renewPatchMaps(room), 0);
    assert.equal(view.changes, pending);
  });
});
