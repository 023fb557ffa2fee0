/** Guest login, refresh, /v1/me and token checks over HTTP against an in-process node. */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createMemoryStore, type Store } from "../../../server/store/index.ts";
import { startTestNode, type TestNode } from "../../support/rooms.ts";

const JWT_SECRET = "test-secret-0123456789-abcdefghijklmnop";

interface Json { [k: string]: unknown }

async function post(base: string, path: string, body: unknown, raw = false): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function get(base: string, path: string, token?: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Json };
}

function assertError(res: { status: number; body: Json }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const error = res.body.error as { code: string; message: string } | undefined;
  assert.ok(error, `error body: ${JSON.stringify(res.body)}`);
  assert.equal(error.code, code);
  assert.equal(typeof error.message, "string");
  assert.ok(error.message.length > 0);
}

/** A token shaped like the node's, signed with `secret`. */
function craft(secret: string, claims: { sub: string; typ: string; iat?: number; exp: number }): Promise<string> {
  return new SignJWT({ typ: claims.typ, name: "Crafted" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("rally")
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000) - 60)
    .setExpirationTime(claims.exp)
    .sign(new TextEncoder().encode(secret));
}

describe("auth over HTTP", () => {
  let t: TestNode;
  let guestCalls = 0;
  before(async () => {
    const inner = await createMemoryStore();
    // Counts store writes so a refused request can be shown to create nothing.
    const store: Store = { ...inner, players: { ...inner.players, guest: (d) => { guestCalls++; return inner.players.guest(d); } } };
    t = await startTestNode({ JWT_SECRET, AUTH_RATE_PER_MIN: "1000" }, { store });
  });
  after(async () => t.close());

  describe("POST /v1/auth/guest", () => {
    it("without a deviceId creates a new player each time", async () => {
      const a = await post(t.url, "/v1/auth/guest", {});
      const b = await post(t.url, "/v1/auth/guest", {});
      assert.equal(a.status, 200);
      for (const key of ["playerId", "name", "token", "refreshToken"]) assert.equal(typeof a.body[key], "string", key);
      assert.notEqual(a.body.playerId, b.body.playerId);
    });

    it("with a deviceId returns the same player on every login", async () => {
      const a = await post(t.url, "/v1/auth/guest", { deviceId: "device-abc-123" });
      const b = await post(t.url, "/v1/auth/guest", { deviceId: "device-abc-123" });
      assert.equal(a.status, 200);
      assert.equal(b.body.playerId, a.body.playerId);
      assert.equal(b.body.name, a.body.name);
    });

    it("an empty body is a guest without a deviceId", async () => {
      const res = await fetch(`${t.url}/v1/auth/guest`, { method: "POST" });
      assert.equal(res.status, 200);
    });

    for (const [what, body] of [
      ["a too-short deviceId", { deviceId: "x" }],
      ["a deviceId with bad characters", { deviceId: "bad device id!" }],
      ["a non-string deviceId", { deviceId: 12345678 }],
      ["an unknown key", { deviceId: "device-abc-123", rating: 3000 }],
      ["a client-chosen playerId", { playerId: "admin" }],
      ["a JSON array", []],
    ] as Array<[string, unknown]>) {
      it(`refuses ${what} with 400 BAD_REQUEST and creates nothing`, async () => {
        const before = guestCalls;
        const res = await post(t.url, "/v1/auth/guest", body);
        assertError(res, 400, "BAD_REQUEST");
        assert.equal(guestCalls, before, "no player created");
      });
    }

    it("refuses malformed JSON with 400 BAD_REQUEST", async () => {
      const before = guestCalls;
      assertError(await post(t.url, "/v1/auth/guest", "{\"deviceId\": ", true), 400, "BAD_REQUEST");
      assert.equal(guestCalls, before);
    });

    it("refuses a body over 16 kB with 400 BAD_REQUEST", async () => {
      assertError(await post(t.url, "/v1/auth/guest", { deviceId: "d".repeat(20_000) }), 400, "BAD_REQUEST");
    });
  });

  describe("refresh and /v1/me", () => {
    it("/v1/me returns the player of the access token", async () => {
      const g = await post(t.url, "/v1/auth/guest", { deviceId: "device-me-0001" });
      const me = await get(t.url, "/v1/me", g.body.token as string);
      assert.equal(me.status, 200);
      assert.equal(me.body.playerId, g.body.playerId);
      assert.equal(me.body.name, g.body.name);
      assert.ok(!Number.isNaN(Date.parse(me.body.createdAt as string)));
    });

    it("a refresh token gets a new working pair for the same player", async () => {
      const g = await post(t.url, "/v1/auth/guest", {});
      const r = await post(t.url, "/v1/auth/refresh", { refreshToken: g.body.refreshToken });
      assert.equal(r.status, 200);
      assert.equal(r.body.playerId, g.body.playerId);
      assert.equal(typeof r.body.refreshToken, "string");
      const me = await get(t.url, "/v1/me", r.body.token as string);
      assert.equal(me.status, 200);
      assert.equal(me.body.playerId, g.body.playerId);
    });

    it("refresh refuses an access token", async () => {
      const g = await post(t.url, "/v1/auth/guest", {});
      assertError(await post(t.url, "/v1/auth/refresh", { refreshToken: g.body.token }), 401, "AUTH_INVALID_TOKEN");
    });

    it("refresh refuses a missing or malformed body", async () => {
      assertError(await post(t.url, "/v1/auth/refresh", {}), 400, "BAD_REQUEST");
      assertError(await post(t.url, "/v1/auth/refresh", { refreshToken: "garbage" }), 401, "AUTH_INVALID_TOKEN");
    });

    it("refresh refuses a token for a player that does not exist", async () => {
      const token = await craft(JWT_SECRET, { sub: "ghost-player", typ: "refresh", exp: Math.floor(Date.now() / 1000) + 600 });
      assertError(await post(t.url, "/v1/auth/refresh", { refreshToken: token }), 401, "AUTH_INVALID_TOKEN");
    });

    it("/v1/me refuses a refresh token", async () => {
      const g = await post(t.url, "/v1/auth/guest", {});
      assertError(await get(t.url, "/v1/me", g.body.refreshToken as string), 401, "AUTH_INVALID_TOKEN");
    });

    it("/v1/me without a token is 401 AUTH_MISSING_TOKEN", async () => {
      assertError(await get(t.url, "/v1/me"), 401, "AUTH_MISSING_TOKEN");
    });

    it("an expired access token is 401 AUTH_EXPIRED_TOKEN", async () => {
      const g = await post(t.url, "/v1/auth/guest", {});
      const now = Math.floor(Date.now() / 1000);
      const expired = await craft(JWT_SECRET, { sub: g.body.playerId as string, typ: "access", iat: now - 1000, exp: now - 10 });
      assertError(await get(t.url, "/v1/me", expired), 401, "AUTH_EXPIRED_TOKEN");
    });

    it("an expired refresh token is 401 AUTH_EXPIRED_TOKEN", async () => {
      const g = await post(t.url, "/v1/auth/guest", {});
      const now = Math.floor(Date.now() / 1000);
      const expired = await craft(JWT_SECRET, { sub: g.body.playerId as string, typ: "refresh", iat: now - 1000, exp: now - 10 });
      assertError(await post(t.url, "/v1/auth/refresh", { refreshToken: expired }), 401, "AUTH_EXPIRED_TOKEN");
    });

    it("a token signed with another secret is 401 AUTH_INVALID_TOKEN", async () => {
      const g = await post(t.url, "/v1/auth/guest", {});
      const forged = await craft("another-secret-that-is-long-enough-xx", { sub: g.body.playerId as string, typ: "access", exp: Math.floor(Date.now() / 1000) + 600 });
      assertError(await get(t.url, "/v1/me", forged), 401, "AUTH_INVALID_TOKEN");
    });

    it("an unsigned (alg: none) or tampered token is 401 AUTH_INVALID_TOKEN", async () => {
      const g = await post(t.url, "/v1/auth/guest", {});
      const [, payload] = (g.body.token as string).split(".");
      const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`;
      assertError(await get(t.url, "/v1/me", none), 401, "AUTH_INVALID_TOKEN");
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Json;
      const tampered = (g.body.token as string).split(".");
      tampered[1] = Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url");
      assertError(await get(t.url, "/v1/me", tampered.join(".")), 401, "AUTH_INVALID_TOKEN");
    });
  });
});

describe("auth rate limit", () => {
  let t: TestNode;
  before(async () => { t = await startTestNode({ AUTH_RATE_PER_MIN: "3" }); });
  after(async () => t.close());

  it("answers 429 RATE_LIMITED past AUTH_RATE_PER_MIN auth requests per minute", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await post(t.url, "/v1/auth/guest", {})).status, 200, `request ${i + 1}`);
    assertError(await post(t.url, "/v1/auth/guest", {}), 429, "RATE_LIMITED");
    assertError(await post(t.url, "/v1/auth/refresh", { refreshToken: "x" }), 429, "RATE_LIMITED");
  });

  it("does not limit non-auth routes", async () => {
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    assertError(await get(t.url, "/v1/me"), 401, "AUTH_MISSING_TOKEN");
  });
});
