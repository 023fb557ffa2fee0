/**
 * Issue #12 item 14: client-reported latencies choose a region only within what the node verified.
 * The pure rule (matchmaker/latency.ts), and a real node in eu-west with a live us-east peer in its
 * registry: a forged latency map ("us-east: 1 ms") cannot move the player's ticket there.
 */
import assert from "node:assert/strict";
import { verifyLatencies } from "../../matchmaker/latency.ts";
import { NodeState } from "../../server/registry/index.ts";
import { nextMessage } from "../support/rooms.ts";
import { startSecureNode, type SecureNode } from "../support/security-rooms.ts";

describe("security: client-reported latencies", function () {
  this.timeout(30_000);

  describe("verifyLatencies (the pure rule)", () => {
    it("homes the ticket in the node's region, whatever the claims", () => {
      assert.equal(verifyLatencies({ "us-east": 1, "eu-west": 900 }, "eu-west", 40).home, "eu-west");
      assert.equal(verifyLatencies({}, "eu-west", null).home, "eu-west");
    });
    it("replaces the claim for the node's own region with the measured round trip", () => {
      assert.equal(verifyLatencies({ "eu-west": 900 }, "eu-west", 41.6).latencies["eu-west"], 42);
      assert.equal(verifyLatencies({ "eu-west": 30 }, "eu-west", null).latencies["eu-west"], 30, "no measurement: the claim stands in");
    });
    it("never lets another region look closer than the measured round trip; higher claims are kept", () => {
      const { latencies } = verifyLatencies({ "us-east": 1, "us-west": 150 }, "eu-west", 40);
      assert.deepEqual(latencies, { "eu-west": 40, "us-east": 40, "us-west": 150 });
    });
  });

  describe("on a real node", () => {
    let t: SecureNode;
    let peer: NodeJS.Timeout | undefined;

    before(async () => {
      t = await startSecureNode({ REGION: "eu-west" });
      // A live us-east node in the registry (its heartbeat kept fresh), so us-east is a region the cluster knows.
      const beat = () => t.node.registry.publish({ nodeId: "fake-us-east", region: "us-east", publicAddress: null, state: NodeState.READY, capacity: 100, rooms: 0, ccu: 0, heartbeatAt: Date.now() });
      await beat();
      peer = setInterval(() => void beat(), 1000);
      await new Promise((r) => setTimeout(r, 2000)); // the matchmaker re-reads the registry at most once a second
    });
    after(async () => {
      if (peer) clearInterval(peer);
      await t?.close();
    });

    it("a forged latency map cannot move a player to a far region", async () => {
      const p = await t.guest();
      const queue = await t.client(p.token).joinOrCreate("queue", { mode: "arena", latencies: { "us-east": 1, "eu-west": 900 } });
      const status = await nextMessage<{ state: string; region: string | null; regions: string[] }>(queue, "status", 10_000);
      const searching = status.state === "searching" ? status : await nextMessage<typeof status>(queue, "status", 10_000);
      assert.equal(searching.region, "eu-west");
      assert.deepEqual(searching.regions, ["eu-west"], "no other region at the start of the wait");
      await queue.leave();
    });
  });
});
