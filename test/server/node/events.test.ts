/**
 * The node's events (server/node/events.ts): listeners run in subscription order; a required
 * listener's failure reaches the emitter (the room retries its report) and stops the rest; any other
 * failure is logged and the next listener still runs.
 */
import assert from "node:assert/strict";
import { NodeEvents } from "../../../server/node/events.ts";

type Events = { ended: string };

describe("node events", () => {
  it("runs listeners in order and waits for each", async () => {
    const seen: string[] = [];
    const events = new NodeEvents<Events>(() => assert.fail("no failure expected"));
    events.on("ended", "players", async (id) => { await new Promise((r) => setTimeout(r, 20)); seen.push(`players ${id}`); }, { required: true });
    events.on("ended", "matchmaker", (id) => { seen.push(`matchmaker ${id}`); });
    await events.emit("ended", "m1");
    assert.deepEqual(seen, ["players m1", "matchmaker m1"]);
  });

  it("a required listener's failure rejects the emit and the later listeners do not run", async () => {
    const seen: string[] = [];
    const events = new NodeEvents<Events>(() => assert.fail("a required failure is not only logged"));
    events.on("ended", "players", () => { throw new Error("store down"); }, { required: true });
    events.on("ended", "matchmaker", () => { seen.push("matchmaker"); });
    await assert.rejects(events.emit("ended", "m1"), /store down/);
    assert.deepEqual(seen, [], "nobody is released before the result is stored or queued");
  });

  it("any other listener's failure is logged with its name and the rest still run", async () => {
    const logged: Array<[string, string, string]> = [];
    const seen: string[] = [];
    const events = new NodeEvents<Events>((err, event, listener) => logged.push([event, listener, (err as Error).message]));
    events.on("ended", "matchmaker", async () => { throw new Error("redis down"); });
    events.on("ended", "inbox", () => { seen.push("inbox"); });
    await events.emit("ended", "m1");
    assert.deepEqual(logged, [["ended", "matchmaker", "redis down"]]);
    assert.deepEqual(seen, ["inbox"]);
  });

  it("an event nobody listens to is a no-op", async () => {
    await new NodeEvents<Events>(() => undefined).emit("ended", "m1");
  });
});
