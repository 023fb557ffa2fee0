/**
 * A node through a Redis outage: every Redis client it holds (player data, coordination, presence pub
 * and sub, the room driver) reports errors as throttled JSON lines, never ioredis' raw
 * "Unhandled error event" stacks, and the node keeps answering.
 */
import assert from "node:assert/strict";
import { startNodeProcess, type NodeHandle } from "../../support/processes.ts";
import { startRedis, type TestRedis } from "../../support/redis.ts";
import { sleep, until } from "../../support/wait.ts";

describe("a node through a Redis outage", function () {
  this.timeout(90_000);
  let redis: TestRedis | undefined;
  let node: NodeHandle | undefined;
  after(async () => {
    await node?.stop("SIGKILL");
    await redis?.stop();
  });

  it("logs each client's errors as a few JSON lines and keeps answering", async () => {
    redis = await startRedis();
    node = await startNodeProcess({ REDIS_URL: redis.url, ALLOW_PER_NODE_STORE: "true" });
    const before = node.output.length;

    await redis.kill();
    await sleep(5000);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
    await redis.restart();
    await until("the node is ready again", async () => (await fetch(`${node!.url}/readyz`)).status === 200, 20_000, 200);

    const lines = node.output.slice(before);
    const raw = lines.filter((l) => { try { JSON.parse(l); return false; } catch { return true; } });
    assert.deepEqual(raw.filter((l) => !/^\s*$/.test(l)), [], "every line is JSON");
    assert.ok(!lines.some((l) => l.includes("Unhandled error event")), "no unhandled ioredis error");
    const redisErrors = lines.filter((l) => /Redis \(.*\) connection error/.test(l));
    // Five clients, one line each per distinct error per 10 s window (refused, reset, ...).
    assert.ok(redisErrors.length >= 1 && redisErrors.length <= 20, `${redisErrors.length} Redis error lines:\n${redisErrors.join("\n")}`);
  });
});
