/**
 * Issue 12, auth items against a real node: a device id is not a password (1), the login lockout
 * holds under a parallel burst (4), no phantom players over HTTP or in rooms (7), reserved display
 * names and their look-alikes (20).
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import type { Room as SdkRoom } from "@colyseus/sdk";
import type { TestNode } from "../support/rooms.ts";
import { ADMIN_TOKEN, JWT_SECRET, call, errorCode, guest, startSecurityNode } from "../support/security-http.ts";
import { decodeRefusal } from "../../protocol/index.ts";

const LOCKOUT = 10;

describe("security: auth over HTTP and room joins", function () {
  this.timeout(60_000);
  let t: TestNode;
  before(async () => {
    t = await startSecurityNode({ GUEST_DEVICE_RATE_PER_MIN: "5", LOGIN_LOCKOUT_AFTER: String(LOCKOUT), LOGIN_SLOW_AFTER: "100" });
  });
  after(async () => { await t?.close(); });

  const register = async (deviceId: string, username: string, password = "correct-horse-42") => {
    const g = await guest(t.url, deviceId);
    const r = await call(t.url, "POST", "/v1/auth/register", { body: { username, password }, token: g.token });
    assert.equal(r.status, 201, r.text);
    return g;
  };

  describe("1. a device id is not a password", () => {
    it("signs into the player while it is a guest; once a username is registered, DEVICE_REGISTERED and only the password logs in", async () => {
      const first = await guest(t.url, "takeover-device-01");
      assert.equal((await guest(t.url, "takeover-device-01")).playerId, first.playerId, "a guest comes back by its device id");
      const g = await register("takeover-device-01", "victim_one");
      assert.equal(g.playerId, first.playerId);
      const again = await call(t.url, "POST", "/v1/auth/guest", { body: { deviceId: "takeover-device-01" } });
      assert.equal(again.status, 409, again.text);
      assert.equal(errorCode(again), "DEVICE_REGISTERED");
      assert.equal(again.body.token, undefined, "no token for the registered player");
      const login = await call(t.url, "POST", "/v1/auth/login", { body: { username: "victim_one", password: "correct-horse-42" } });
      assert.equal(login.status, 200);
      assert.equal(login.body.playerId, g.playerId);
    });

    it("guest sign-in is limited per device id (GUEST_DEVICE_RATE_PER_MIN) while other devices go on", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await call(t.url, "POST", "/v1/auth/guest", { body: { deviceId: "flood-device-0001" } })).status);
      assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
      assert.deepEqual(statuses.slice(5), [429, 429]);
      const limited = await call(t.url, "POST", "/v1/auth/guest", { body: { deviceId: "flood-device-0001" } });
      assert.equal(errorCode(limited), "RATE_LIMITED");
      assert.ok(limited.headers.get("retry-after"));
      assert.equal((await call(t.url, "POST", "/v1/auth/guest", { body: { deviceId: "other-device-0001" } })).status, 200);
    });

    it("the device id is shown nowhere: own profile, public profile, leaderboard, friends, admin read", async () => {
      const deviceId = "secret-device-7f3k9q";
      const me = await guest(t.url, deviceId);
      const other = await guest(t.url);
      await call(t.url, "POST", "/v1/friends/requests", { body: { playerId: me.playerId }, token: other.token });
      const reads = await Promise.all([
        call(t.url, "GET", "/v1/players/me", { token: me.token }),
        call(t.url, "GET", "/v1/me", { token: me.token }),
        call(t.url, "GET", `/v1/players/${me.playerId}`, { token: other.token }),
        call(t.url, "GET", "/v1/leaderboards/rating.arena", { token: other.token }),
        call(t.url, "GET", "/v1/friends", { token: me.token }),
        call(t.url, "GET", "/v1/friends", { token: other.token }),
        call(t.url, "GET", `/v1/admin/players/${me.playerId}`, { token: ADMIN_TOKEN }),
      ]);
      for (const r of reads) {
        assert.equal(r.status, 200, r.text);
        assert.ok(!r.text.includes(deviceId) && !r.text.includes("deviceId"), `device id leaked: ${r.text}`);
      }
      assert.equal(reads[6]!.body.hasDevice, true, "operators see that a device is bound, not which");
    });
  });

  describe("4. login lockout under a parallel burst", () => {
    it(`27 wrong passwords and the right one in one burst: at most ${LOCKOUT} are checked and the right one is refused`, async () => {
      await register("burst-device-0001", "burst_target", "the-right-password");
      const attempts = [...Array.from({ length: 27 }, (_, i) => `wrong-password-${i}`), "the-right-password"];
      const replies = await Promise.all(attempts.map((password) => call(t.url, "POST", "/v1/auth/login", { body: { username: "burst_target", password } })));
      const right = replies.at(-1)!;
      const checked = replies.filter((r) => errorCode(r) === "AUTH_BAD_CREDENTIALS").length;
      const locked = replies.filter((r) => errorCode(r) === "ACCOUNT_LOCKED").length;
      assert.ok(checked <= LOCKOUT, `${checked} passwords were checked, lockout is ${LOCKOUT}`);
      assert.equal(checked + locked, 27 + (right.status === 200 ? 0 : 1), `every other answer is ACCOUNT_LOCKED: ${replies.map((r) => r.status).join(",")}`);
      assert.equal(right.status, 429, `the right password in the burst was accepted after the lockout count: ${right.text}`);
      assert.equal(errorCode(right), "ACCOUNT_LOCKED");
      const after = await call(t.url, "POST", "/v1/auth/login", { body: { username: "burst_target", password: "the-right-password" } });
      assert.equal(errorCode(after), "ACCOUNT_LOCKED", "still locked after the burst");
    });
  });

  describe("7. no phantom players", () => {
    let phantom: string;
    before(async () => {
      // Signed with the node's real secret, for a player id the store has never seen.
      phantom = await new SignJWT({ typ: "access", name: "Phantom" }).setProtectedHeader({ alg: "HS256" })
        .setIssuer("rally").setSubject(`ghost-${Date.now()}`).setIssuedAt().setExpirationTime("10m")
        .sign(new TextEncoder().encode(JWT_SECRET));
    });

    it("HTTP refuses the token with AUTH_INVALID_TOKEN", async () => {
      for (const path of ["/v1/me", "/v1/players/me", "/v1/friends"]) {
        const r = await call(t.url, "GET", path, { token: phantom });
        assert.equal(r.status, 401, `${path}: ${r.text}`);
        assert.equal(errorCode(r), "AUTH_INVALID_TOKEN");
      }
    });

    for (const [room, options] of [["arena", {}], ["queue", { mode: "arena" }], ["social", {}], ["lobby", {}]] as const) {
      it(`joinOrCreate("${room}") refuses it`, async () => {
        let joined: SdkRoom | undefined;
        await assert.rejects(t.client(phantom).joinOrCreate(room, options).then((r) => { joined = r; }), (e: Error) => {
          assert.equal(decodeRefusal(e).code, "AUTH_INVALID_TOKEN", e.message);
          return true;
        });
        if (joined) await joined.leave();
        // The same room still takes a real player's token.
        const p = await t.player();
        const real = await t.client(p.token).joinOrCreate(room, options);
        await real.leave();
      });
    }
  });

  describe("20. reserved display names", () => {
    const refused = ["Admin", "ADMIN", "ＡＤＭＩＮ", "Аdmin", "Adm1n", "The Admin", "Admin_Bob", "SyStem", "Sуstem", "5ystem",
      "Moderator", "M0derat0r", "Rally", "RaIIy", "Server 1", "Ѕerver", "Staff", "mod"];
    for (const name of refused) {
      it(`refuses ${JSON.stringify(name)} with NAME_RESERVED and keeps the old name`, async () => {
        const g = await guest(t.url);
        const r = await call(t.url, "PATCH", "/v1/players/me", { body: { name }, token: g.token });
        assert.equal(r.status, 400, r.text);
        assert.equal(errorCode(r), "NAME_RESERVED");
        assert.equal((await call(t.url, "GET", "/v1/players/me", { token: g.token })).body.name, g.name);
      });
    }

    it("accepts ordinary names, NFKC-normalised (fullwidth becomes plain letters)", async () => {
      const g = await guest(t.url);
      for (const name of ["Badminton", "Serena", "Modest Mouse", "Ally", "Devon"]) {
        const r = await call(t.url, "PATCH", "/v1/players/me", { body: { name }, token: g.token });
        assert.equal(r.status, 200, `${name}: ${r.text}`);
      }
      const wide = await call(t.url, "PATCH", "/v1/players/me", { body: { name: "Ｂｏｂｂｙ" }, token: g.token });
      assert.equal(wide.body.name, "Bobby");
    });

    it("refuses a reserved username at registration", async () => {
      for (const username of ["admin", "Adm1n", "system_x", "rally"]) {
        const g = await guest(t.url);
        const r = await call(t.url, "POST", "/v1/auth/register", { body: { username, password: "password-123" }, token: g.token });
        assert.equal(errorCode(r), "NAME_RESERVED", `${username}: ${r.text}`);
      }
    });
  });
});
