/**
 * Issue #12 item 18: malformed frames from a client are logged once per connection at `warn`, without
 * a stack, and counted in `rally_malformed_frames_total`; no error-level line an attacker can repeat.
 */
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { until } from "../support/wait.ts";
import { startSecureNode, type SecureNode } from "../support/security-rooms.ts";

const JOIN_ROOM = 10;
const ROOM_DATA = 13;

describe("security: malformed frames", function () {
  this.timeout(30_000);
  let t: SecureNode;
  const lines: string[] = [];

  before(async () => {
    t = await startSecureNode({}, { logLines: lines });
  });
  after(async () => t?.close());

  /** A raw socket joined to the lobby (join acknowledged). */
  async function joined(): Promise<WebSocket> {
    const p = await t.guest();
    const res = await fetch(`${t.url}/matchmake/joinOrCreate/lobby`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${p.token}` }, body: "{}" });
    const seat = await res.json() as { roomId: string; processId: string; sessionId: string };
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}&_authToken=${p.token}`);
    await new Promise<void>((resolve, reject) => { ws.once("message", () => resolve()); ws.once("error", reject); });
    ws.send(new Uint8Array([JOIN_ROOM]));
    return ws;
  }

  it("bad payloads and broken WebSocket frames: one warn per connection, no stack, no error line, counted", async () => {
    const closed: Array<Promise<unknown>> = [];
    for (let c = 0; c < 3; c++) {
      const ws = await joined();
      closed.push(new Promise((r) => ws.on("close", r)));
      // type "x", then a byte msgpack never uses: the payload cannot be decoded
      for (let i = 0; i < 10; i++) ws.send(new Uint8Array([ROOM_DATA, 0xa1, 0x78, 0xc1, 0xc1]));
    }
    const broken = await joined();
    closed.push(new Promise((r) => broken.on("close", r)));
    // A frame with reserved opcode 0xF (masked, empty): a WebSocket protocol error on the server.
    (broken as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x8f, 0x80, 0, 0, 0, 0]));
    await Promise.all(closed);

    const text = await until("the malformed frames counted", async () => {
      const metrics = await t.node.metrics.text();
      const total = [...metrics.matchAll(/^rally_malformed_frames_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      return total >= 4 ? metrics : null;
    }, 10_000);
    assert.match(text, /rally_malformed_frames_total\{[^}]*kind="socket"/);
    const parsed = lines.map((l) => JSON.parse(l) as { level: number; msg?: string });
    assert.deepEqual(parsed.filter((l) => l.level >= 50), [], "no error-level line");
    const warnings = parsed.filter((l) => /malformed frame/.test(l.msg ?? ""));
    assert.ok(warnings.length >= 1 && warnings.length <= 4, `${warnings.length} warnings for 4 connections`);
    for (const l of lines) assert.doesNotMatch(l, /\\n\s+at /, "no stack in the log");
  });
});
