/**
 * Draining a real node process (what `npm start` runs) with SIGTERM: it stops taking work but never
 * ends a running match; it exits 0 once its matches are over (here: when the drain timeout fires).
 */
import assert from "node:assert/strict";
import { Client, type Room as SdkRoom } from "@colyseus/sdk";
import { guest, startNodeProcess, type NodeHandle } from "../support/processes.ts";
import { leaveCode, nextMessage, waitForState } from "../support/rooms.ts";
import { decodeRefusal } from "../../protocol/index.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SDK rooms decode the state without static types
type Room = SdkRoom<any, any>;

const DRAIN_TIMEOUT_S = 4;

describe("drain (SIGTERM) of a node process", function () {
  this.timeout(60_000);
  let node: NodeHandle | undefined;
  after(async () => {
    if (node && node.child.exitCode === null) node.child.kill("SIGKILL");
  });

  function client(url: string, token: string): Client {
    const c = new Client(url.replace(/^http/, "ws"));
    c.auth.token = token;
    return c;
  }

  async function moves(room: Room, dx: 1 | -1, seq: number): Promise<void> {
    const x0 = room.state.players.get(room.sessionId).x;
    room.send("input", { seq, x: dx, y: 0, aim: 0, fire: false });
    await waitForState(room, (s) => (s.players.get(room.sessionId).x - x0) * dx > 10, 3000, "the player moves");
    room.send("input", { seq: seq + 1, x: 0, y: 0, aim: 0, fire: false });
  }

  it("keeps the running match going, refuses new work, then exits 0", async () => {
    node = await startNodeProcess({ DRAIN_TIMEOUT_S: String(DRAIN_TIMEOUT_S), RECONNECT_WINDOW_S: "5" });
    const [a, b, c, d] = await Promise.all([guest(node.url), guest(node.url), guest(node.url), guest(node.url)]);
    const ra: Room = await client(node.url, a.token).joinOrCreate("arena");
    const rb: Room = await client(node.url, b.token).joinOrCreate("arena");
    assert.equal(rb.roomId, ra.roomId);
    for (const r of [ra, rb]) await waitForState(r, (s) => s.phase === "playing", 10_000, "match playing");
    // A second open room that has not started yet.
    const rc: Room = await client(node.url, c.token).create("arena");
    await waitForState(rc, (s) => s.players?.size === 1, 3000, "c seated");

    const draining = [ra, rb].map((r) => nextMessage<{ endsWithinS: number }>(r, "draining", 5000));
    let resultSeen = false;
    const result = nextMessage<{ outcome: string; reason: string }>(ra, "result", 30_000).then((r) => { resultSeen = true; return r; });
    const cLeft = leaveCode(rc, 5000);

    node.child.kill("SIGTERM");

    // Readiness turns 503.
    let ready = 200;
    for (let i = 0; i < 100 && ready === 200; i++) {
      ready = (await fetch(`${node.url}/readyz`)).status;
      if (ready === 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(ready, 503);

    // Players in the running match are told, and keep playing.
    assert.equal((await draining[0]).endsWithinS, DRAIN_TIMEOUT_S);
    assert.equal((await draining[1]).endsWithinS, DRAIN_TIMEOUT_S);
    // The room that had not started is closed so its player can find another node.
    assert.equal(await cLeft, 4001);

    // New matchmaking is refused with a reason the SDK can show (Colyseus alone answers an empty 503
    // body, which the SDK reports as "Unexpected end of JSON input").
    await assert.rejects(client(node.url, d.token).joinOrCreate("arena"), (err: Error & { code?: unknown }) => {
      assert.equal(decodeRefusal(err).code, "NOT_READY", err.message);
      assert.equal(err.code, 503);
      return true;
    });

    await moves(ra, 1, 10);
    await moves(rb, -1, 10);
    assert.equal(ra.state.phase, "playing");
    assert.equal(resultSeen, false, "the drain did not end the match");
    assert.equal(node.child.exitCode, null, "still running while the match goes on");

    // The drain timeout ends the match (one result to the players), then the process exits 0.
    const r = await result;
    assert.equal(r.reason, "drain-timeout");
    assert.equal(r.outcome, "aborted");
    assert.equal(await node.exited, 0, node.output.slice(-30).join("\n"));
  });
});
