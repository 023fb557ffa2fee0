/**
 * Presence ownership (server/social/presence.ts) over one shared MemoryKv, two PresenceServices as
 * two nodes: a node's refresh never writes back an activity another node replaced (the queue node
 * and the match node of one player), and `dropNodes` (the dead-node reaper's step) removes a dead
 * node's entries at once and publishes the change.
 */
import assert from "node:assert/strict";
import { MemoryKv, PresenceService, type PresenceView } from "../../../server/social/index.ts";

describe("presence: who owns an entry", () => {
  let t = 1_000_000;
  const now = () => t;
  const make = (kv: MemoryKv, nodeId: string) => new PresenceService({ kv, nodeId, ttlMs: 3000, now });

  it("the queue node lets go of in_queue once the match node wrote in_match (no rewrite by its refresh)", async () => {
    const kv = new MemoryKv(now);
    const [queueNode, matchNode] = [make(kv, "q"), make(kv, "m")];
    await queueNode.set("p1", { status: "in_queue", mode: "arena" });
    await matchNode.set("p1", { status: "in_match", mode: "arena", roomId: "r1" });
    await queueNode.clearIf("p1", "in_queue"); // the player left the queue after the match began
    for (let i = 0; i < 3; i++) {
      t += 1000;
      await queueNode.refresh();
      await matchNode.refresh();
    }
    assert.equal((await queueNode.get("p1")).status, "in_match");
    // the match ends: the activity goes, and nothing brings "in queue" back
    await matchNode.clearIf("p1", "in_match");
    t += 1000;
    await queueNode.refresh();
    assert.equal((await queueNode.get("p1")).status, "offline");
  });

  it("clearIf never deletes an activity written meanwhile (queue leave racing the match join on one node)", async () => {
    const kv = new MemoryKv(now);
    const node = make(kv, "n");
    await node.set("p4", { status: "in_queue", mode: "arena" });
    const clearing = node.clearIf("p4", "in_queue");
    await node.set("p4", { status: "in_match", mode: "arena" });
    await clearing;
    t += 1000;
    await node.refresh();
    assert.equal((await node.get("p4")).status, "in_match");
  });

  it("a refresh that finds another node's activity stops owning its own (even without clearIf)", async () => {
    const kv = new MemoryKv(now);
    const [a, b] = [make(kv, "a"), make(kv, "b")];
    await a.set("p2", { status: "in_queue", mode: "arena" });
    await b.set("p2", { status: "in_match", mode: "arena" });
    await a.refresh();
    t += 10_000; // b stops refreshing (its activity expires); a must not resurrect its old one
    await a.refresh();
    assert.equal((await a.get("p2")).status, "offline");
  });

  it("a refresh writes back this node's own activity when the store lost it (Redis restart)", async () => {
    const kv = new MemoryKv(now);
    const a = make(kv, "a");
    await a.set("p3", { status: "in_queue", mode: "5v5" });
    await kv.del("pres:act:p3");
    await a.refresh();
    assert.equal((await a.get("p3")).status, "in_queue");
  });

  it("two refreshes at once (a slow one during a Redis outage overlapping the next) never drop the node's own activity", async () => {
    const kv = new MemoryKv(now);
    const a = make(kv, "a");
    await a.set("p5", { status: "in_queue", mode: "5v5" });
    await kv.del("pres:act:p5"); // the restarted Redis lost it
    await Promise.all([a.refresh(), a.refresh()]);
    for (let i = 0; i < 4; i++) {
      t += 1000; // past the 3 s TTL: only a later refresh keeps it
      await a.refresh();
    }
    assert.equal((await a.get("p5")).status, "in_queue");
  });

  it("dropNodes removes a dead node's entries and publishes the change; other nodes' entries stay", async () => {
    const kv = new MemoryKv(now);
    const [dead, live] = [make(kv, "dead"), make(kv, "live")];
    await dead.connect("d1");
    await dead.set("d1", { status: "in_match", mode: "arena" });
    await live.connect("l1");
    await live.set("l1", { status: "in_queue", mode: "arena" });
    const seen: PresenceView[] = [];
    live.onChange((v) => seen.push(v));
    assert.equal(await live.dropNodes(["dead"]), 2);
    assert.equal((await live.get("d1")).status, "offline");
    assert.equal((await live.get("l1")).status, "in_queue");
    assert.ok(seen.some((v) => v.playerId === "d1" && v.status === "offline"));
    assert.equal(await live.dropNodes(["dead"]), 0, "idempotent");
  });
});
