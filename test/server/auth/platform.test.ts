/**
 * Platform sign-in over HTTP against live nodes (`npm start` as a child process): OpenID Connect ID
 * tokens from a local issuer (discovery, JWKS, key rotation) and Steam tickets checked by a local
 * stand-in of Steam's Web API. Forged, expired, wrong-audience, wrong-issuer and replayed tokens are
 * refused with their codes; link and unlink keep one identity on one player and never remove the last
 * way in; a replay is refused by another node of a Redis cluster too.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { UnsecuredJWT } from "jose";
import { RallyApiError, RallyClient } from "../../../client-sdk/index.ts";
import { ConfigError, loadConfig } from "../../../server/config.ts";
import { freePort, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle } from "../../support/processes.ts";
import { startOidcIssuer, startSteamStandIn, type OidcIssuer, type SteamStandIn } from "../../support/platform.ts";

interface Json { [k: string]: unknown }
interface Answer { status: number; body: Json }

async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

function assertError(res: Answer, status: number, code: string): void {
  const error = res.body.error as { code?: string; message?: string } | undefined;
  assert.equal(error?.code, code, JSON.stringify(res.body));
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.ok(error?.message);
}

const AUDIENCE = "rally-web-client";
const APP_ID = "480";
const secret = () => randomBytes(32).toString("hex");

function platformEnv(google: OidcIssuer, apple: OidcIssuer, steam: SteamStandIn, downPort: number): Record<string, string> {
  return {
    OIDC_PROVIDERS: JSON.stringify([
      { name: "google", issuer: google.url, audience: AUDIENCE },
      { name: "apple", issuer: apple.url, audience: ["ios-app", "android-app"], jwksUrl: apple.jwksUrl, algorithms: ["ES256"] },
      { name: "down", issuer: `http://127.0.0.1:${downPort}`, audience: "x" },
    ]),
    // Rotation is picked up at the first unknown key id (production default: at most every 30 s).
    OIDC_JWKS_COOLDOWN_S: "0",
    STEAM_APP_ID: APP_ID, STEAM_WEB_API_KEY: steam.key, STEAM_API_URL: steam.url, STEAM_IDENTITY: "rally",
    AUTH_RATE_PER_MIN: "10000", ACCOUNT_RATE_PER_MIN: "10000", API_RATE_PER_MIN: "10000", GUEST_DEVICE_RATE_PER_MIN: "1000",
    LOG_LEVEL: "warn", SERVE_DEMO: "false",
  };
}

describe("platform sign-in (OIDC and Steam) on a live node", function () {
  this.timeout(60_000);
  let google: OidcIssuer, apple: OidcIssuer, steam: SteamStandIn, node: NodeHandle;
  const adminToken = secret();
  const oidc = (provider: string, idToken: string, token?: string, extra: Json = {}) => call(node.url, "POST", "/v1/auth/oidc", { provider, idToken, ...extra }, token);
  const steamSignIn = (ticket: string, token?: string) => call(node.url, "POST", "/v1/auth/steam", { ticket }, token);

  before(async function () {
    this.timeout(120_000);
    [google, apple, steam] = await Promise.all([
      startOidcIssuer({ audience: AUDIENCE }),
      startOidcIssuer({ audience: "ios-app", alg: "ES256" }),
      startSteamStandIn({ appId: APP_ID, identity: "rally" }),
    ]);
    node = await startNodeProcess({ ...platformEnv(google, apple, steam, await freePort()), JWT_SECRET: secret(), ADMIN_TOKEN: adminToken });
  });
  after(async () => {
    await node?.stop();
    await Promise.all([google?.stop(), apple?.stop(), steam?.stop()]);
  });

  describe("OpenID Connect", () => {
    it("a first sign-in creates a player (discovery then JWKS); a later token with the same subject signs into it", async () => {
      const first = await oidc("google", await google.token({ sub: "g-100" }));
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.created, true);
      assert.equal(first.body.provider, "google");
      const me = await call(node.url, "GET", "/v1/me", undefined, first.body.token as string);
      assert.equal(me.status, 200);
      const again = await oidc("google", await google.token({ sub: "g-100" }));
      assert.equal(again.status, 200);
      assert.equal(again.body.created, false);
      assert.equal(again.body.playerId, first.body.playerId);
      assert.equal(google.fetches.discovery, 1, "discovery is fetched once");
      assert.equal(google.fetches.jwks, 1, "the key set is cached");
      const ids = await call(node.url, "GET", "/v1/auth/identities", undefined, first.body.token as string);
      assert.deepEqual((ids.body.identities as Json[]).map((i) => [i.provider, i.subject]), [["google", "g-100"]]);
      assert.deepEqual(ids.body.providers, ["google", "apple", "down", "steam"]);
      assert.equal(ids.body.username, null);
    });

    it("a provider with an explicit jwksUrl, several audiences and ES256 skips discovery", async () => {
      const res = await oidc("apple", await apple.token({ sub: "a-1", aud: "android-app" }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(apple.fetches.discovery, 0);
    });

    it("refuses a forged token (a key the issuer never published, under its kid) and an unknown kid", async () => {
      assertError(await oidc("google", await google.token({ sub: "g-forged" }, { key: await google.strangerKey() })), 401, "PLATFORM_TOKEN_INVALID");
      assertError(await oidc("google", await google.token({ sub: "g-forged" }, { key: await google.strangerKey(), kid: "made-up-kid" })), 401, "PLATFORM_TOKEN_INVALID");
      // and an unsigned one, and a token of another provider's keys
      const unsigned = new UnsecuredJWT({ sub: "g-forged", aud: AUDIENCE }).setIssuer(google.url).setIssuedAt().setExpirationTime("10m").encode();
      assertError(await oidc("google", unsigned), 401, "PLATFORM_TOKEN_INVALID");
      assertError(await oidc("google", await apple.token({ sub: "g-forged", iss: google.url, aud: AUDIENCE })), 401, "PLATFORM_TOKEN_INVALID");
      assertError(await oidc("google", "not.a.jwt-at-all-really"), 401, "PLATFORM_TOKEN_INVALID");
    });

    it("refuses an expired token, one issued too long ago, and one not valid yet", async () => {
      const now = Math.floor(Date.now() / 1000);
      assertError(await oidc("google", await google.token({ sub: "g-exp", iat: now - 1200, exp: now - 600 })), 401, "PLATFORM_TOKEN_EXPIRED");
      // exp in the future but issued 2 h ago: older than OIDC_MAX_TOKEN_AGE_S (1 h)
      assertError(await oidc("google", await google.token({ sub: "g-old", iat: now - 7200, exp: now + 600 })), 401, "PLATFORM_TOKEN_EXPIRED");
      assertError(await oidc("google", await google.token({ sub: "g-nbf", nbf: now + 600 })), 401, "PLATFORM_TOKEN_INVALID");
      // within the 30 s clock tolerance: accepted
      assert.equal((await oidc("google", await google.token({ sub: "g-skew", iat: now + 10 }))).status, 201);
    });

    it("refuses a wrong audience and a wrong issuer, naming the claim", async () => {
      const aud = await oidc("google", await google.token({ sub: "g-aud", aud: "someone-elses-client" }));
      assertError(aud, 401, "PLATFORM_TOKEN_INVALID");
      assert.match((aud.body.error as Json).message as string, /"aud"/);
      const iss = await oidc("google", await google.token({ sub: "g-iss", iss: "https://accounts.evil.example" }));
      assertError(iss, 401, "PLATFORM_TOKEN_INVALID");
      assert.match((iss.body.error as Json).message as string, /"iss"/);
      // apple's audiences do not include google's client id
      assertError(await oidc("apple", await apple.token({ sub: "a-aud", aud: AUDIENCE })), 401, "PLATFORM_TOKEN_INVALID");
    });

    it("refuses a replayed token, and a nonce that does not match", async () => {
      const token = await google.token({ sub: "g-replay" });
      assert.equal((await oidc("google", token)).status, 201);
      assertError(await oidc("google", token), 401, "PLATFORM_TOKEN_REPLAYED");
      assertError(await oidc("google", await google.token({ sub: "g-nonce", nonce: "nonce-aaaaaaaa" }), undefined, { nonce: "nonce-bbbbbbbb" }), 401, "PLATFORM_TOKEN_INVALID");
      assert.equal((await oidc("google", await google.token({ sub: "g-nonce", nonce: "nonce-cccccccc" }), undefined, { nonce: "nonce-cccccccc" })).status, 201);
    });

    it("an ES256 token whose signature is re-encoded (s -> n - s, still valid) is still a replay", async () => {
      const token = await apple.token({ sub: "a-malleable", aud: "ios-app" });
      assert.equal((await oidc("apple", token)).status, 201);
      const [h, p, sig] = token.split(".");
      const raw = Buffer.from(sig, "base64url");
      const n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551n;
      const s = BigInt(`0x${raw.subarray(32).toString("hex")}`);
      const flipped = Buffer.concat([raw.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, "0"), "hex")]);
      assertError(await oidc("apple", `${h}.${p}.${flipped.toString("base64url")}`), 401, "PLATFORM_TOKEN_REPLAYED");
    });

    it("follows a key rotation: a token under the new kid verifies (the key set is fetched again), the retired key no longer does", async () => {
      const oldKey = google.kid;
      const beforeOld = await google.token({ sub: "g-rot-old" });
      const fetchesBefore = google.fetches.jwks;
      await google.rotate();
      assert.notEqual(google.kid, oldKey);
      const res = await oidc("google", await google.token({ sub: "g-rot" }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(google.fetches.jwks, fetchesBefore + 1);
      assertError(await oidc("google", beforeOld), 401, "PLATFORM_TOKEN_INVALID");
    });

    it("an unknown provider is PROVIDER_UNKNOWN; an unreachable issuer is PROVIDER_UNAVAILABLE; a bad body is BAD_REQUEST", async () => {
      assertError(await oidc("facebook", await google.token()), 400, "PROVIDER_UNKNOWN");
      assertError(await oidc("down", await google.token()), 503, "PROVIDER_UNAVAILABLE");
      assertError(await call(node.url, "POST", "/v1/auth/oidc", { provider: "google" }), 400, "BAD_REQUEST");
      assertError(await call(node.url, "POST", "/v1/auth/oidc", { provider: "google", idToken: await google.token(), extra: 1 }), 400, "BAD_REQUEST");
    });

    it("a banned player's identity does not sign in", async () => {
      const first = await oidc("google", await google.token({ sub: "g-banned" }));
      const ban = await fetch(`${node.url}/v1/admin/players/${first.body.playerId as string}/ban`, {
        method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` }, body: JSON.stringify({ reason: "cheating" }),
      });
      assert.equal(ban.status, 200);
      assertError(await oidc("google", await google.token({ sub: "g-banned" })), 403, "PLAYER_BANNED");
    });
  });

  describe("linking and unlinking", () => {
    it("a guest links an identity: the identity then signs into the guest's player, and the device id stops signing in", async () => {
      const deviceId = `device-${randomBytes(6).toString("hex")}`;
      const guest = await call(node.url, "POST", "/v1/auth/guest", { deviceId });
      assert.equal(guest.status, 200);
      const link = await oidc("google", await google.token({ sub: "g-link-1" }), guest.body.token as string);
      assert.equal(link.status, 200, JSON.stringify(link.body));
      assert.equal(link.body.playerId, guest.body.playerId);
      assert.deepEqual((link.body.identities as Json[]).map((i) => i.provider), ["google"]);
      assert.equal(link.body.token, undefined, "linking issues no new session");
      const signIn = await oidc("google", await google.token({ sub: "g-link-1" }));
      assert.equal(signIn.body.playerId, guest.body.playerId);
      assertError(await call(node.url, "POST", "/v1/auth/guest", { deviceId }), 409, "DEVICE_REGISTERED");
    });

    it("one identity maps to one player: linking it elsewhere is IDENTITY_TAKEN; a second account of one provider is PROVIDER_ALREADY_LINKED", async () => {
      const owner = await oidc("google", await google.token({ sub: "g-taken" }));
      const other = await call(node.url, "POST", "/v1/auth/guest", {});
      assertError(await oidc("google", await google.token({ sub: "g-taken" }), other.body.token as string), 409, "IDENTITY_TAKEN");
      assertError(await oidc("google", await google.token({ sub: "g-second" }), owner.body.token as string), 409, "PROVIDER_ALREADY_LINKED");
      // linking the same identity again is fine
      const same = await oidc("google", await google.token({ sub: "g-taken" }), owner.body.token as string);
      assert.equal(same.status, 200);
      assert.equal(((await call(node.url, "GET", "/v1/auth/identities", undefined, other.body.token as string)).body.identities as Json[]).length, 0);
    });

    it("a bad bearer token refuses the link without spending the platform token", async () => {
      const idToken = await google.token({ sub: "g-badbearer" });
      assertError(await oidc("google", idToken, "not-a-valid-access-token"), 401, "AUTH_INVALID_TOKEN");
      assert.equal((await oidc("google", idToken)).status, 201);
    });

    it("unlinks, but never the last way in; a username counts as one", async () => {
      const first = await oidc("google", await google.token({ sub: "g-unlink" }));
      const token = first.body.token as string;
      assertError(await call(node.url, "DELETE", "/v1/auth/identities/google", undefined, token), 409, "LAST_SIGN_IN_METHOD");
      assertError(await call(node.url, "DELETE", "/v1/auth/identities/steam", undefined, token), 404, "IDENTITY_NOT_LINKED");
      assert.equal((await steamSignIn(steam.issue("76561190000000777"), token)).status, 200);
      const removed = await call(node.url, "DELETE", "/v1/auth/identities/google", undefined, token);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual((removed.body.identities as Json[]).map((i) => i.provider), ["steam"]);
      assertError(await call(node.url, "DELETE", "/v1/auth/identities/steam", undefined, token), 409, "LAST_SIGN_IN_METHOD");
      const reg = await call(node.url, "POST", "/v1/auth/register", { username: `u${randomBytes(4).toString("hex")}`, password: "long enough password" }, token);
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      assert.equal((await call(node.url, "DELETE", "/v1/auth/identities/steam", undefined, token)).status, 200);
      // The unlinked google account is free again: it now signs in as a new player.
      const fresh = await oidc("google", await google.token({ sub: "g-unlink" }));
      assert.equal(fresh.body.created, true);
      assert.notEqual(fresh.body.playerId, first.body.playerId);
      assertError(await call(node.url, "GET", "/v1/auth/identities"), 401, "AUTH_MISSING_TOKEN");
    });
  });

  describe("client SDK", () => {
    it("signs in with OIDC, links Steam, lists and unlinks through RallyClient.auth", async () => {
      const rally = new RallyClient(node.url);
      const session = await rally.auth.signInWithOidc("google", await google.token({ sub: "g-sdk" }));
      assert.equal(rally.auth.playerId, session.playerId);
      assert.deepEqual((await rally.auth.linkSteam(steam.issue("76561190000000888"))).map((i) => i.provider), ["google", "steam"]);
      const listed = await rally.auth.identities();
      assert.equal(listed.playerId, session.playerId);
      assert.ok(listed.providers.includes("steam"));
      assert.deepEqual((await rally.auth.unlink("google")).map((i) => i.provider), ["steam"]);
      await assert.rejects(rally.auth.unlink("steam"), (e: unknown) => e instanceof RallyApiError && e.code === "LAST_SIGN_IN_METHOD" && e.status === 409);
      await assert.rejects(rally.auth.linkOidc("google", await google.token({ sub: "g-100" })), (e: unknown) => e instanceof RallyApiError && e.code === "IDENTITY_TAKEN");
      const viaSteam = await new RallyClient(node.url).auth.signInWithSteam(steam.issue("76561190000000888"));
      assert.equal(viaSteam.playerId, session.playerId);
    });
  });

  describe("Steam", () => {
    it("a valid ticket signs in (and again with a new ticket); the Steam id is the subject", async () => {
      const first = await steamSignIn(steam.issue("76561190000000001"));
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.provider, "steam");
      const again = await steamSignIn(steam.issue("76561190000000001"));
      assert.equal(again.body.playerId, first.body.playerId);
      const ids = await call(node.url, "GET", "/v1/auth/identities", undefined, first.body.token as string);
      assert.deepEqual((ids.body.identities as Json[]).map((i) => [i.provider, i.subject]), [["steam", "76561190000000001"]]);
    });

    it("refuses an invalid ticket, a ticket for another app, a replayed ticket and a publisher-banned account", async () => {
      assertError(await steamSignIn(randomBytes(64).toString("hex")), 401, "PLATFORM_TOKEN_INVALID");
      assertError(await steamSignIn(steam.issue("76561190000000002", "999999")), 401, "PLATFORM_TOKEN_INVALID");
      const ticket = steam.issue("76561190000000003");
      assert.equal((await steamSignIn(ticket)).status, 201);
      assertError(await steamSignIn(ticket), 401, "PLATFORM_TOKEN_REPLAYED");
      assertError(await steamSignIn(steam.issue("76561190000000004", APP_ID, { publisherBanned: true })), 403, "PLAYER_BANNED");
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      assert.match(metrics, /rally_platform_verifications_total\{provider="steam",result="PLATFORM_TOKEN_REPLAYED"[^}]*\} [1-9]/);
      assert.match(metrics, /rally_platform_verifications_total\{provider="steam",result="ok"[^}]*\} [1-9]/);
      assertError(await call(node.url, "POST", "/v1/auth/steam", { ticket: "zz-not-hex" }), 400, "BAD_REQUEST");
    });

    it("Steam down (HTTP 500) is PROVIDER_UNAVAILABLE, and the ticket stays usable", async () => {
      const ticket = steam.issue("76561190000000005");
      steam.failWith = 500;
      try {
        assertError(await steamSignIn(ticket), 503, "PROVIDER_UNAVAILABLE");
      } finally {
        steam.failWith = undefined;
      }
      assert.equal((await steamSignIn(ticket)).status, 201);
    });
  });
});

describe("platform sign-in in a Redis cluster", function () {
  this.timeout(90_000);
  let redis: RedisHandle, google: OidcIssuer, apple: OidcIssuer, steam: SteamStandIn;
  const nodes: NodeHandle[] = [];
  before(async function () {
    this.timeout(120_000);
    [redis, google, apple, steam] = await Promise.all([
      startRedis(), startOidcIssuer({ audience: AUDIENCE }), startOidcIssuer({ audience: "ios-app", alg: "ES256" }), startSteamStandIn({ appId: APP_ID, identity: "rally" }),
    ]);
    const env = { ...platformEnv(google, apple, steam, await freePort()), REDIS_URL: redis.url, SHARED_SQLITE_DIR: tempDir("rally-platform-store-"), JWT_SECRET: secret() };
    nodes.push(await startNodeProcess(env), await startNodeProcess(env));
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all([redis?.stop(), google?.stop(), apple?.stop(), steam?.stop()]);
  });

  it("a token used on one node is refused as a replay by the other; a fresh token signs into the same player there", async () => {
    const [a, b] = nodes;
    const token = await google.token({ sub: "cluster-sub" });
    const first = await call(a.url, "POST", "/v1/auth/oidc", { provider: "google", idToken: token });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assertError(await call(b.url, "POST", "/v1/auth/oidc", { provider: "google", idToken: token }), 401, "PLATFORM_TOKEN_REPLAYED");
    const ticket = steam.issue("76561190000000099");
    assert.equal((await call(b.url, "POST", "/v1/auth/steam", { ticket })).status, 201);
    assertError(await call(a.url, "POST", "/v1/auth/steam", { ticket }), 401, "PLATFORM_TOKEN_REPLAYED");
    const fresh = await call(b.url, "POST", "/v1/auth/oidc", { provider: "google", idToken: await google.token({ sub: "cluster-sub" }) });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body.playerId, first.body.playerId);
  });
});

describe("platform sign-in config", () => {
  const base = { JWT_SECRET: secret() };
  const refused = (env: Record<string, string>, variable: string, message: RegExp) => {
    assert.throws(() => loadConfig({ ...base, ...env }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.variable, variable);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  };

  it("parses OIDC_PROVIDERS (frozen) and the Steam settings", () => {
    const config = loadConfig({ ...base, OIDC_PROVIDERS: JSON.stringify([{ name: "google", issuer: "https://accounts.google.com", audience: "client.apps.googleusercontent.com" }]), STEAM_APP_ID: "480", STEAM_WEB_API_KEY: "0123456789ABCDEF0123456789ABCDEF" });
    assert.equal(config.OIDC_PROVIDERS[0].issuer, "https://accounts.google.com");
    assert.ok(Object.isFrozen(config.OIDC_PROVIDERS) && Object.isFrozen(config.OIDC_PROVIDERS[0]));
    assert.equal(config.STEAM_API_URL, "https://partner.steam-api.com");
    assert.deepEqual(loadConfig(base).OIDC_PROVIDERS, []);
  });

  it("refuses bad values with one line naming the variable (and never echoes the Steam key)", () => {
    refused({ OIDC_PROVIDERS: "[{name:" }, "OIDC_PROVIDERS", /not JSON/);
    refused({ OIDC_PROVIDERS: JSON.stringify([{ name: "google", issuer: "http://accounts.google.com", audience: "x" }]) }, "OIDC_PROVIDERS", /0\.issuer: an https:\/\/ URL/);
    refused({ OIDC_PROVIDERS: JSON.stringify([{ name: "steam", issuer: "https://a.example", audience: "x" }]) }, "OIDC_PROVIDERS", /Steam provider's name/);
    refused({ OIDC_PROVIDERS: JSON.stringify([{ name: "g", issuer: "https://a.example", audience: "x" }, { name: "g", issuer: "https://b.example", audience: "y" }]) }, "OIDC_PROVIDERS", /used twice/);
    refused({ OIDC_PROVIDERS: JSON.stringify([{ name: "g", issuer: "https://a.example", audience: [] }]) }, "OIDC_PROVIDERS", /audience/);
    refused({ STEAM_APP_ID: "480" }, "STEAM_WEB_API_KEY", /needs both/);
    refused({ STEAM_WEB_API_KEY: "0123456789ABCDEF0123456789ABCDEF" }, "STEAM_APP_ID", /needs both/);
    assert.throws(() => loadConfig({ ...base, STEAM_APP_ID: "480", STEAM_WEB_API_KEY: "bad key with spaces!" }), (e: unknown) => !(e as Error).message.includes("spaces"));
    refused({ STEAM_API_URL: "http://steam.example.com" }, "STEAM_API_URL", /https/);
  });
});
