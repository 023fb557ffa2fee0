/**
 * Issue #12 item 21: private room codes cannot be guessed over WebSocket faster than over HTTP. Every
 * `joinById(roomId, { code })` attempt on a private `custom` game counts against the same per-player
 * budget as `GET /v1/join-codes/:code` (ACCOUNT_RATE_PER_MIN), checked before the code is compared.
 */
import assert from "node:assert/strict";
import { waitForState } from "../support/rooms.ts";
import { refusal, startSecureNode, type SecureNode } from "../support/security-rooms.ts";

describe("security: private join codes over WebSocket", function () {
  this.timeout(30_000);
  let t: SecureNode;

  before(async () => {
    t = await startSecureNode({ ACCOUNT_RATE_PER_MIN: "6" });
  });
  after(async () => t?.close());

  it("wrong-code joins spend the player's join-code budget: then RATE_LIMITED over WebSocket and HTTP, even with the right code", async () => {
    const host = await t.guest(), guesser = await t.guest();
    const game = await t.client(host.token).create("custom", { private: true, name: "Secret" });
    const { code } = await waitForState(game, (s: { code?: string }) => Boolean(s.code), 5000, "the game's code");
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      codes.push((await refusal(t.client(guesser.token).joinById(game.roomId, { code: `WRONG${i}` }), ["JOIN_CODE_NOT_FOUND", "RATE_LIMITED"])).code);
    }
    assert.deepEqual(codes.slice(0, 6), Array(6).fill("JOIN_CODE_NOT_FOUND"), "within the budget: not found");
    assert.deepEqual(codes.slice(6), ["RATE_LIMITED", "RATE_LIMITED"], "past the budget: rate limited");
    const http = await t.http("GET", `/v1/join-codes/${code}`, { token: guesser.token });
    assert.equal(http.status, 429, "the HTTP route shares the budget");
    await refusal(t.client(guesser.token).joinById(game.roomId, { code }), "RATE_LIMITED");
    // Another player with the code still joins.
    const friend = await t.guest();
    const joined = await t.client(friend.token).joinById(game.roomId, { code });
    await Promise.all([joined.leave(), game.leave()]);
  });
});
