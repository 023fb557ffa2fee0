import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { LocalPresence } from "@colyseus/core";
import express from "express";
import { mountAdminApi } from "../../../server/http/admin.ts";
import { NodeState, createNodeCommands, createNodeRegistry, createPoolLimitsStore } from "../../../server/registry/index.ts";

describe("pool admin API (/v1/admin, ADMIN_TOKEN)", () => {
  const token = "admin-token-0123456789";
  const presence = new LocalPresence();
  const registry = createNodeRegistry(presence, 6000);
  const commands = createNodeCommands(presence);
  const limits = createPoolLimitsStore(presence);
  let base = "";
  let server: ReturnType<express.Application["listen"]>;
  const drained: string[] = [];

  before(async () => {
    const app = express();
    mountAdminApi(app, { adminToken: token, ratePerMin: 120, registry, commands, limits });
    app.use((_req, res) => void res.status(404).json({ error: { code: "NOT_FOUND", message: "no such route" } }));
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/admin`;
    await registry.publish({ nodeId: "p1", name: "eu-west-aaaaaa", region: "eu-west", publicAddress: "h:1", state: NodeState.READY, capacity: 10, rooms: 2, ccu: 4, heartbeatAt: Date.now() });
    await commands.onDrain("p1", () => drained.push("p1"));
  });
  after(() => server.close());

  const call = (path: string, init: RequestInit = {}, auth: string | null = token) =>
    fetch(`${base}${path}`, { ...init, headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) } });

  it("refuses a missing or wrong token with a coded error", async () => {
    const r1 = await call("/nodes", {}, null);
    assert.equal(r1.status, 401);
    assert.equal(((await r1.json()) as { error: { code: string } }).error.code, "AUTH_MISSING_TOKEN");
    const r2 = await call("/nodes", {}, "wrong-token-0123456789");
    assert.equal(r2.status, 403);
    assert.equal(((await r2.json()) as { error: { code: string } }).error.code, "FORBIDDEN");
  });

  it("lists nodes", async () => {
    const body = await (await call("/nodes")).json() as { nodes: Array<{ nodeId: string; alive: boolean; name: string }> };
    assert.deepEqual(body.nodes.map((n) => [n.nodeId, n.name, n.alive]), [["p1", "eu-west-aaaaaa", true]]);
  });

  it("drains a node by id or name; unknown is 404", async () => {
    const r = await call("/nodes/eu-west-aaaaaa/drain", { method: "POST" });
    assert.equal(r.status, 202);
    assert.deepEqual(drained, ["p1"]);
    const missing = await call("/nodes/nope/drain", { method: "POST" });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
  });

  it("sets a region's min/max (validated) for the pool manager", async () => {
    const ok = await call("/regions/eu-west", { method: "PUT", body: JSON.stringify({ min: 2, max: 5 }) });
    assert.equal(ok.status, 200);
    assert.deepEqual(await limits.all(), { "eu-west": { min: 2, max: 5 } });
    const bad = await call("/regions/eu-west", { method: "PUT", body: JSON.stringify({ min: 6, max: 5 }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, "BAD_REQUEST");
    const extra = await call("/regions/eu-west", { method: "PUT", body: JSON.stringify({ min: 1, max: 2, x: 1 }) });
    assert.equal(extra.status, 400);
    assert.deepEqual(await limits.all(), { "eu-west": { min: 2, max: 5 } }, "a bad request changes nothing");
  });

  it("is not mounted at all without ADMIN_TOKEN", async () => {
    const app = express();
    mountAdminApi(app, { adminToken: undefined, ratePerMin: 120, registry, commands, limits });
    assert.equal((app as unknown as { router?: { stack: unknown[] } }).router?.stack?.length ?? 0, 0);
  });
});
