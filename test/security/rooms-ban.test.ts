/**
 * Issue #12 item 19: a ban closes the player's open sockets at once (close code 4403), in every room,
 * through the presence bus (every node subscribes), and the banned player cannot come back.
 */
import assert from "node:assert/strict";
import { leaveCode } from "../support/rooms.ts";
import { ADMIN_TOKEN, refusal, startSecureNode, type SecureNode } from "../support/security-rooms.ts";

describe("security: a ban closes the player's connections", function () {
  this.timeout(30_000);
  let t: SecureNode;

  before(async () => {
    t = await startSecureNode();
  });
  after(async () => t?.close());

  it("POST /v1/admin/players/:id/ban closes every room connection of that player with 4403; others stay", async () => {
    const bad = await t.guest(), good = await t.guest();
    const social = await t.client(bad.token).joinOrCreate("social");
    const arena = await t.client(bad.token).create("arena");
    const goodArena = await t.client(good.token).joinById(arena.roomId);
    let goodLeft = false;
    goodArena.onLeave(() => { goodLeft = true; });
    const closes = Promise.all([leaveCode(social, 5000), leaveCode(arena, 5000)]);

    const ban = await t.http("POST", `/v1/admin/players/${bad.playerId}/ban`, { token: ADMIN_TOKEN, body: { reason: "cheating" } });
    assert.equal(ban.status, 200);
    assert.deepEqual(await closes, [4403, 4403]);
    assert.equal(goodLeft, false, "the other player's connection stays");
    await refusal(t.client(bad.token).joinOrCreate("social"), "PLAYER_BANNED");
    await goodArena.leave();
  });
});
