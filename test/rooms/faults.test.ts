/**
 * A game bug in one room (a throwing input handler, a throwing step, a throwing clock callback) is
 * logged with where it happened and the room, its players and the node go on. MatchRoom contains these
 * itself rather than through Colyseus' onUncaughtException (see MatchRoom.reportFault for why).
 */
import assert from "node:assert/strict";
import type { StepContext } from "@colyseus/core";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { z } from "zod";
import { pino } from "pino";
import { ArenaRoom } from "../../examples/arena/index.ts";
import { defineGame } from "../../server/index.ts";
import { startTestNode, waitForState, type TestNode } from "../support/rooms.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SDK rooms decode the state without static types
type Client = SdkRoom<any, any>;

class FaultyArena extends ArenaRoom {
  protected override startDelayMs = 50;
  private stepFailed = false;

  protected override registerInputs(): void {
    super.registerInputs();
    this.input("boom", z.object({}).strict(), () => {
      throw new Error("input handler bug");
    });
  }

  protected override onMatchStart(): void {
    super.onMatchStart();
    this.clock.setTimeout(() => {
      throw new Error("timer bug");
    }, 20);
  }

  protected override onStep(step: StepContext): void {
    if (!this.stepFailed) {
      this.stepFailed = true;
      throw new Error("step bug");
    }
    super.onStep(step);
  }
}

describe("room faults", function () {
  this.timeout(30_000);
  let t: TestNode;
  const logged: Array<{ method?: string; err?: unknown }> = [];

  before(async () => {
    // The node's error lines (JSON) are where a room's faults end up.
    const logger = pino({ level: "error" }, { write: (line: string) => void logged.push(JSON.parse(line) as { method?: string }) });
    t = await startTestNode({}, { games: { "arena-faulty": defineGame({ room: FaultyArena }) }, logger });
  });
  after(() => t.close());

  it("logs a throwing input handler, step and timer, and the match plays on", async () => {
    const [roomA, roomB]: Client[] = await t.playingPair("arena-faulty");

    roomA.send("boom", {});
    // the step loop survived its first, throwing step: the match clock moves
    await waitForState(roomA, (s) => s.elapsedMs > 200, 5000, "steps after the faulty one");
    // and inputs after the faulty handler are still applied
    roomA.send("input", { seq: 7, x: 1, y: 0, aim: 0, fire: false });
    await waitForState(roomA, (s) => s.players.get(roomA.sessionId)?.lastSeq === 7, 5000, "input applied after the fault");

    const methods = logged.map((l) => l.method);
    assert.ok(methods.includes("onMessage:boom"), `input handler fault logged (${methods.join(", ")})`);
    assert.ok(methods.includes("onStep"), "step fault logged");
    assert.ok(methods.includes("clock.setTimeout"), "timer fault logged");
    assert.equal(roomA.connection.isOpen, true);
    assert.equal(roomB.connection.isOpen, true);
    await Promise.all([roomA.leave(), roomB.leave()]);
  });
});
