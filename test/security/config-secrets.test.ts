/**
 * Issue 12, item 7 (config half): no well-known secret. The README's example JWT_SECRET and
 * placeholder-looking values are refused at start with one line, unless RALLY_ENV=development;
 * `npm start` with no JWT_SECRET still works (a generated secret).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError, README_EXAMPLE_SECRET, loadConfig } from "../../server/config.ts";
import { tempDir } from "../support/processes.ts";
import { startTestNode } from "../support/rooms.ts";
import { guest } from "../support/security-http.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

const placeholders = [
  "change-me-to-32-or-more-characters!!",
  "change-me-change-me-change-me-change-me",
  "x".repeat(40),
  "secretsecretsecretsecretsecretsecret",
  "your-jwt-secret-goes-here-0123456789",
  "abababababababababababababababababab",
  "replace-this-with-a-real-value-00000000",
  "xxxxx-production-9Kq2Lw7Rt4Nz8Vb3Hj6Pd",
];

function refusedNaming(variable: string, env: Record<string, string>): void {
  assert.throws(() => loadConfig(env), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.variable, variable);
    assert.ok(!e.message.includes("\n"), "one line");
    assert.ok(!e.message.includes(env[variable]!), "the value is not echoed");
    return true;
  });
}

describe("security: well-known secrets refused at start", function () {
  this.timeout(60_000);

  for (const value of placeholders) {
    it(`refuses JWT_SECRET=${JSON.stringify(value)} outside development, accepts it with RALLY_ENV=development`, () => {
      refusedNaming("JWT_SECRET", { JWT_SECRET: value });
      refusedNaming("JWT_SECRET", { JWT_SECRET: value, RALLY_ENV: "production" });
      assert.equal(loadConfig({ JWT_SECRET: value, RALLY_ENV: "development" }).JWT_SECRET, value);
    });
  }

  it("refuses placeholder ADMIN_TOKEN and METRICS_TOKEN values too; random values pass", () => {
    refusedNaming("ADMIN_TOKEN", { ADMIN_TOKEN: "change-me-admin-token-0123456789abcdef" });
    refusedNaming("METRICS_TOKEN", { METRICS_TOKEN: "y".repeat(40) });
    assert.ok(loadConfig({ JWT_SECRET: "3f9c1a7e5b2d8c4f6a0e9b1d7c3a5f8e2b4d6c9a", ADMIN_TOKEN: "Kp7Qz2Lw9Rx4Tb8Nc3Hv6Yd1Fg5Jm0Sa" }).JWT_SECRET);
  });

  it("every JWT_SECRET written out literally in the README is refused (copying it cannot reach production)", () => {
    const readme = readFileSync(`${repoRoot}README.md`, "utf8");
    const literals = [...readme.matchAll(/JWT_SECRET=([^\s$`'"]+)/g)].map((m) => m[1]!);
    for (const value of literals) refusedNaming("JWT_SECRET", { JWT_SECRET: value });
    refusedNaming("JWT_SECRET", { JWT_SECRET: README_EXAMPLE_SECRET });
  });

  it("`npm start` with the README example stops with exit 1 and one stderr line naming JWT_SECRET; with no JWT_SECRET a node starts", async () => {
    const env: Record<string, string | undefined> = { ...process.env, JWT_SECRET: README_EXAMPLE_SECRET, PORT: "1", DATA_DIR: tempDir() };
    for (const k of ["RALLY_ENV", "REDIS_URL", "MONGO_URL", "ADMIN_TOKEN", "METRICS_TOKEN"]) delete env[k];
    const run = spawnSync(process.execPath, ["--import", "tsx", `${repoRoot}server/main.ts`], { cwd: repoRoot, env, encoding: "utf8", timeout: 40_000, killSignal: "SIGKILL" });
    assert.equal(run.status, 1, `exit status (stderr: ${run.stderr})`);
    const lines = run.stderr.split("\n").filter((l) => l.trim() !== "" && !/dotenv|env file|injected env/.test(l));
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /JWT_SECRET/);

    // No JWT_SECRET at all: a generated dev secret, and players sign in.
    assert.equal(loadConfig({}).JWT_SECRET, undefined);
    const t = await startTestNode({ JWT_SECRET: "" }); // empty is unset: rally/testing's random secret is not used
    try {
      const g = await guest(t.url);
      const me = await fetch(`${t.url}/v1/me`, { headers: { authorization: `Bearer ${g.token}` } });
      assert.equal(me.status, 200);
    } finally {
      await t.close();
    }
  });
});
