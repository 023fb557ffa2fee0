/**
 * Issue #12 item 5: a reconnection token is bound to its player. Another player holding it (with
 * their own access token, or with none) is refused, over the matchmaking route and over a raw
 * WebSocket, in every room type that holds seats for reconnection; a live owner is not displaced;
 * the owner still reconnects. And the shipped nginx config logs without
 * query strings (the WebSocket URL carries the tokens).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { WebSocket } from "ws";
import { matchMaker } from "@colyseus/core";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { repoRoot } from "../support/processes.ts";
import { until } from "../support/wait.ts";
import { refusal, startSecureNode, type SecureNode } from "../support/security-rooms.ts";

describe("security: reconnection tokens are bound to their player", function () {
  this.timeout(60_000);
  let t: SecureNode;

  before(async () => {
    t = await startSecureNode();
  });
  after(async () => t?.close());

  const joins: Record<string, (token: string) => Promise<SdkRoom>> = {
    arena: (token) => t.client(token).create("arena"),
    social: (token) => t.client(token).joinOrCreate("social"),
    custom: (token) => t.client(token).create("custom", { name: "Mine" }),
    queue: (token) => t.client(token).joinOrCreate("queue", { mode: "arena" }),
    relay: async (token) => {
      const { body } = await t.http("POST", "/v1/relay", { token, body: {} });
      const { roomId, relayToken } = body as { roomId: string; relayToken: string };
      return t.client(token).joinById(roomId, { relayToken });
    },
  };

  for (const [name, join] of Object.entries(joins)) {
    it(`${name}: another player with the owner's reconnection token is refused (own token, none); a live owner stays; the owner reconnects`, async () => {
      const a = await t.guest(), b = await t.guest();
      const roomA = await join(a.token);
      roomA.reconnection.enabled = false;
      const reconnectionToken = roomA.reconnectionToken;
      const server = matchMaker.getLocalRoomById(roomA.roomId)!;
      let aLeft = false;
      roomA.onLeave(() => { aLeft = true; });

      // Live owner: neither refusal may close A's connection.
      await refusal(t.client(b.token).reconnect(reconnectionToken), "ROOM_RECONNECT_REFUSED");
      await refusal(t.client().reconnect(reconnectionToken), "AUTH_MISSING_TOKEN");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(aLeft, false, "the live owner keeps its connection");
      assert.ok(server.clients.some((c) => c.sessionId === roomA.sessionId));

      // Dropped owner (seat held for reconnection): B is refused over the route and over a raw socket.
      await roomA.leave(false);
      await until("A dropped", () => !server.clients.some((c) => c.sessionId === roomA.sessionId));
      await refusal(t.client(b.token).reconnect(reconnectionToken), "ROOM_RECONNECT_REFUSED");
      const rawToken = reconnectionToken.split(":")[1];
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}/${matchMaker.processId}/${roomA.roomId}?sessionId=${roomA.sessionId}&reconnectionToken=${rawToken}&_authToken=${b.token}`);
      const rawClose = await new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
      assert.notEqual(rawClose, 1000);
      assert.ok(!server.clients.some((c) => c.sessionId === roomA.sessionId), "B did not take A's seat over the socket");

      const back = await t.client(a.token).reconnect(reconnectionToken);
      assert.equal(back.sessionId, roomA.sessionId);
      await back.leave();
    });
  }

  it("docker/nginx.conf writes its access log without query strings (tokens ride in the WebSocket URL)", () => {
    const conf = readFileSync(`${repoRoot}docker/nginx.conf`, "utf8").replace(/#.*$/gm, "");
    const format = /log_format\s+(\S+)\s+([^;]+);/.exec(conf);
    assert.ok(format, "a log_format is declared");
    assert.match(conf, new RegExp(`access_log\\s+\\S+\\s+${format[1]}\\s*;`), "the server logs with it");
    assert.doesNotMatch(format[2], /\$request\b|\$request_uri|\$args|\$query_string|\$arg_|\$http_referer/);
    assert.match(format[2], /\$uri/);
  });
});
