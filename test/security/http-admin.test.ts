/**
 * Issue 12, gateway items against a real node: bodies that do not decode (9), admin routes (token
 * before body, rate limit, 32-character token: 9, 10), /metrics on its own port or behind a token (11).
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { ConfigError, loadConfig } from "../../server/config.ts";
import { freePort } from "../support/processes.ts";
import type { TestNode } from "../support/rooms.ts";
import { ADMIN_TOKEN, call, errorCode, guest, startSecurityNode, type Reply } from "../support/security-http.ts";

const garbage = Buffer.from("this is not gzip at all, just bytes \x00\x01\x02");
const json = { "content-type": "application/json" };

function assertJsonError(r: Reply, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get("content-type") ?? "", /application\/json/, `not JSON: ${r.text}`);
  assert.equal(errorCode(r), code, r.text);
  assert.ok(!/<html|at [\w.]+ \(|node_modules/i.test(r.text), `no HTML page or stack: ${r.text}`);
}

describe("security: gateway and admin", function () {
  this.timeout(60_000);

  describe("9. bodies that fail to decode, admin token before body", () => {
    let t: TestNode;
    before(async () => { t = await startSecurityNode(); });
    after(async () => { await t?.close(); });

    for (const encoding of ["gzip", "deflate", "br"]) {
      it(`Content-Encoding: ${encoding} with garbage gets 400 BAD_REQUEST JSON on /v1 routes`, async () => {
        const g = await guest(t.url);
        for (const [method, path, token] of [["POST", "/v1/auth/guest", undefined], ["PATCH", "/v1/players/me", g.token], ["POST", "/v1/party", g.token]] as const) {
          assertJsonError(await call(t.url, method, path, { raw: garbage, token, headers: { ...json, "content-encoding": encoding } }), 400, "BAD_REQUEST");
        }
        if (encoding === "gzip") {
          const ok = await call(t.url, "POST", "/v1/auth/guest", { raw: gzipSync(JSON.stringify({ deviceId: "gzip-device-0001" })), headers: { ...json, "content-encoding": "gzip" } });
          assert.equal(ok.status, 200, `a well-formed gzip body still works: ${ok.text}`);
        }
      });
    }

    it("admin routes check the token before reading the body: wrong token + garbage body is 403 JSON", async () => {
      const g = await guest(t.url);
      for (const path of [`/v1/admin/players/${g.playerId}/ban`, "/v1/admin/regions/eu-west"]) {
        const method = path.includes("regions") ? "PUT" : "POST";
        assertJsonError(await call(t.url, method, path, { raw: garbage, token: "wrong-token", headers: { ...json, "content-encoding": "gzip" } }), 403, "FORBIDDEN");
        assertJsonError(await call(t.url, method, path, { raw: "{not json", token: "wrong-token", headers: json }), 403, "FORBIDDEN");
        assertJsonError(await call(t.url, method, path, { raw: garbage, headers: { ...json, "content-encoding": "gzip" } }), 401, "AUTH_MISSING_TOKEN");
        // With the right token the body is read, and a body that does not decode is a 400.
        assertJsonError(await call(t.url, method, path, { raw: garbage, token: ADMIN_TOKEN, headers: { ...json, "content-encoding": "gzip" } }), 400, "BAD_REQUEST");
      }
    });
  });

  describe("10. admin rate limit and token length", () => {
    let t: TestNode;
    before(async () => { t = await startSecurityNode({ ADMIN_RATE_PER_MIN: "5" }); });
    after(async () => { await t?.close(); });

    it("ADMIN_RATE_PER_MIN per address: guessing the token stops at the limit, right token included", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(t.url, "GET", "/v1/admin/nodes", { token: `guess-${i}` })).status);
      assert.deepEqual(statuses, [403, 403, 403, 403, 403]);
      const limited = await call(t.url, "GET", "/v1/admin/nodes", { token: ADMIN_TOKEN });
      assertJsonError(limited, 429, "RATE_LIMITED");
      assert.ok(Number(limited.headers.get("retry-after")) > 0);
      const players = await call(t.url, "GET", "/v1/admin/players/nobody", { token: ADMIN_TOKEN });
      assertJsonError(players, 429, "RATE_LIMITED");
    });

    it("ADMIN_TOKEN shorter than 32 characters stops the process with one line naming it", () => {
      assert.throws(() => loadConfig({ ADMIN_TOKEN: "Zq8Lr3Wx9Tk2Nb7Hv4Jm1Pc" }), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.variable, "ADMIN_TOKEN");
        assert.match(e.message, /at least 32/);
        assert.ok(!e.message.includes("Zq8Lr3Wx9Tk2Nb7Hv4Jm1Pc"), "the refused token is not echoed");
        return true;
      });
      assert.equal(loadConfig({ ADMIN_TOKEN }).ADMIN_TOKEN, ADMIN_TOKEN);
    });
  });

  describe("11. /metrics on its own port, or behind a token", () => {
    it("with METRICS_PORT, /metrics moves to METRICS_HOST:METRICS_PORT and the main port no longer serves it", async () => {
      const metricsPort = await freePort();
      const t = await startSecurityNode({ METRICS_PORT: String(metricsPort), METRICS_HOST: "127.0.0.1" });
      try {
        const main = await fetch(`${t.url}/metrics`);
        assert.notEqual(main.status, 200);
        assert.doesNotMatch(await main.text(), /rally_rooms/);
        const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        assert.equal(own.status, 200);
        assert.match(await own.text(), /rally_http_requests_total|rally_rooms/);
        assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/v1/me`)).status, 404, "only /metrics on the metrics port");
      } finally {
        await t.close();
      }
      await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`), "the metrics listener closes with the node");
    });

    it("with METRICS_TOKEN, /metrics needs Authorization: Bearer <METRICS_TOKEN>", async () => {
      const token = "metrics-R5t8Yq2Lw7Kx3Nz9Vb4Hj6Pd1";
      const t = await startSecurityNode({ METRICS_TOKEN: token });
      try {
        assertJsonError(await call(t.url, "GET", "/metrics"), 401, "AUTH_MISSING_TOKEN");
        assertJsonError(await call(t.url, "GET", "/metrics", { token: "metrics-wrong-token-000000000000000" }), 403, "FORBIDDEN");
        const ok = await call(t.url, "GET", "/metrics", { token });
        assert.equal(ok.status, 200);
        assert.match(ok.text, /rally_rooms/);
      } finally {
        await t.close();
      }
    });
  });
});
