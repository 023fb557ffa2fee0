/**
 * Issue #12 item 3: the lobby cannot be used to flood memory. A message limit on every registered
 * room, bounded lobby listings, and slow readers dropped when their send buffer passes
 * MAX_SEND_BUFFER_BYTES (backpressure), against a real node.
 */
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { matchMaker } from "@colyseus/core";
import { until } from "../support/wait.ts";
import { leaveCode, nextMessage } from "../support/rooms.ts";
import { startSecureNode, type SecureNode } from "../support/security-rooms.ts";

const MAX_SEND_BUFFER_BYTES = 256 * 1024;
const JOIN_ROOM = 10; // Colyseus Protocol.JOIN_ROOM: the client's join acknowledgement

describe("security: lobby and send-buffer flooding", function () {
  this.timeout(60_000);
  let t: SecureNode;

  before(async () => {
    t = await startSecureNode({ LOBBY_MAX_LISTED: "5", ROOM_MAX_MESSAGES_PER_S: "10", MAX_SEND_BUFFER_BYTES: String(MAX_SEND_BUFFER_BYTES) });
  });
  after(async () => t?.close());

  it("every room type the node registers has a finite message limit", async () => {
    const names = Object.keys(matchMaker.getAllHandlers());
    for (const expected of ["arena", "lobby", "relay", "social", "custom", "queue"]) assert.ok(names.includes(expected), `${expected} is registered`);
    for (const name of names) {
      const listing = await matchMaker.createRoom(name, {});
      const room = matchMaker.getLocalRoomById(listing.roomId);
      assert.ok(room, `${name} room created here`);
      assert.ok(Number.isFinite(room.maxMessagesPerSecond), `${name}: maxMessagesPerSecond is ${room.maxMessagesPerSecond}`);
      await room.disconnect();
    }
  });

  it("a lobby listing carries at most LOBBY_MAX_LISTED rooms, and a client flooding `filter` is closed (4002)", async () => {
    const created = [];
    for (let i = 0; i < 12; i++) created.push(await matchMaker.createRoom("custom", { name: `Game ${i}` }));
    const p = await t.guest();
    const lobbyClient = t.client(p.token);
    const lobby = await lobbyClient.joinOrCreate("lobby");
    const first = nextMessage<unknown[]>(lobby, "rooms");
    const listing = await first;
    assert.ok(listing.length <= 5, `first listing has ${listing.length} rooms`);
    const again = nextMessage<unknown[]>(lobby, "rooms");
    lobby.send("filter", { name: "custom" });
    assert.ok((await again).length <= 5);
    const closed = leaveCode(lobby, 10_000);
    for (let i = 0; i < 40; i++) lobby.send("filter", { name: "custom" });
    assert.equal(await closed, 4002);
    for (const l of created) await matchMaker.getLocalRoomById(l.roomId)?.disconnect();
  });

  for (const acknowledges of [true, false]) {
    it(`a raw WebSocket client that stops reading${acknowledges ? "" : " (and never acknowledges its join)"} is dropped while the server floods it; the buffer stays bounded`, async () => {
      const p = await t.guest();
      const res = await fetch(`${t.url}/matchmake/joinOrCreate/lobby`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${p.token}` }, body: "{}" });
      assert.equal(res.status, 200);
      const seat = await res.json() as { roomId: string; processId: string; sessionId: string };
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}&_authToken=${p.token}`);
      const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
      await new Promise<void>((resolve, reject) => {
        ws.once("message", () => resolve());
        ws.once("error", reject);
      });
      if (acknowledges) ws.send(new Uint8Array([JOIN_ROOM]));
      ws.pause(); // never read again
      const room = matchMaker.getLocalRoomById(seat.roomId)!;
      const client = await until("the client in the lobby", () => room.clients.find((c) => c.sessionId === seat.sessionId));
      if (acknowledges) await until("join acknowledged", () => (client as unknown as { _enqueuedMessages?: unknown })._enqueuedMessages === undefined);
      const chunk = "x".repeat(64 * 1024);
      let maxBuffered = 0;
      // 32 MB in all, well past the kernel's socket buffers, unless the server drops the client first.
      for (let i = 0; i < 512 && room.clients.some((c) => c.sessionId === seat.sessionId); i++) {
        client.send("flood", chunk);
        // Unsent bytes: the socket's buffer, plus what Colyseus keeps for a client that has not acknowledged its join.
        const queued = (client as unknown as { _enqueuedMessages?: Uint8Array[] })._enqueuedMessages?.reduce((n, m) => n + m.byteLength, 0) ?? 0;
        maxBuffered = Math.max(maxBuffered, (client.ref as unknown as WebSocket).bufferedAmount + queued);
        if (i % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      await until("the slow client dropped", () => !room.clients.some((c) => c.sessionId === seat.sessionId), 15_000);
      assert.ok(maxBuffered <= MAX_SEND_BUFFER_BYTES + 2 * chunk.length, `server send buffer peaked at ${maxBuffered} bytes`);
      ws.resume();
      ws.terminate();
      await closed;
    });
  }
});
