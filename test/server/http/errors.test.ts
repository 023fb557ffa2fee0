/**
 * The HTTP edge maps errors to answers once (server/http/common.ts `errorHandler`): a RallyError by its
 * catalog status (Retry-After from its details), a room refusal by the code it encodes, whether it
 * arrives as a ServerError (placement, a local room) or as a plain Error with the refusal text alone
 * (a room that refused on another node, over Colyseus' IPC); anything else is 500 INTERNAL.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import express from "express";
import { ServerError } from "@colyseus/core";
import { pino } from "pino";
import { RallyError, type ErrorCode } from "../../../protocol/index.ts";
import { encodeRefusal } from "../../../protocol/server.ts";
import { errorHandler } from "../../../server/http/common.ts";

describe("HTTP edge: errors to answers", () => {
  let url = "";
  let close: () => void = () => undefined;
  const thrown = new Map<string, unknown>();

  before(async () => {
    const app = express();
    app.get("/throw/:name", (req, _res, next) => next(thrown.get(req.params.name)));
    app.use(errorHandler(pino({ level: "silent" })));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  after(() => close());

  const cases: ReadonlyArray<[string, unknown, number, ErrorCode]> = [
    ["a RallyError", new RallyError("PARTY_FULL"), 409, "PARTY_FULL"],
    ["placement's refusal (ServerError)", encodeRefusal("NO_NODE_AVAILABLE", 'no ready node in region "x"'), 503, "NO_NODE_AVAILABLE"],
    ["a remote room's refusal (its text over IPC)", new Error("ROOM_WRONG_NODE: placed on node abc"), 503, "ROOM_WRONG_NODE"],
    ["a Colyseus error without a Rally code", new ServerError(524, "seat reservation expired."), 500, "INTERNAL"],
    ["an Error subclass whose text looks like a refusal", new TypeError("NOT_FOUND: x"), 500, "INTERNAL"],
    ["a plain error", new Error("boom"), 500, "INTERNAL"],
  ];
  for (const [name, err, status, code] of cases) {
    it(`${name} -> ${status} ${code}`, async () => {
      thrown.set(name.replace(/\W+/g, "-"), err);
      const res = await fetch(`${url}/throw/${name.replace(/\W+/g, "-")}`);
      assert.equal(res.status, status);
      const body = await res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, code);
      assert.equal(typeof body.error.message, "string");
      // a refusal answers with the catalog's message, not the room's text (it may name nodes)
      if (code === "NO_NODE_AVAILABLE" || code === "INTERNAL") assert.doesNotMatch(body.error.message, /region|boom|seat/);
    });
  }

  it("a RallyError with retryAfterS sets Retry-After", async () => {
    thrown.set("limited", new RallyError("RATE_LIMITED", "slow down", { retryAfterS: 7 }));
    const res = await fetch(`${url}/throw/limited`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "7");
    assert.deepEqual(await res.json(), { error: { code: "RATE_LIMITED", message: "slow down" } });
  });
});
