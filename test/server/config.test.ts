import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../server/config.ts";
import { repoRoot } from "../support/processes.ts";

describe("config", () => {
  it("has embedded defaults for a laptop with nothing set", () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 2567);
    assert.equal(config.HOST, "0.0.0.0");
    assert.equal(config.REGION, "local");
    assert.equal(config.DATA_DIR, "./data");
    assert.equal(config.LOG_LEVEL, "info");
    assert.equal(config.REDIS_URL, undefined);
    assert.equal(config.MONGO_URL, undefined);
    assert.equal(config.JWT_SECRET, undefined);
    assert.equal(config.ADMIN_TOKEN, undefined);
    assert.equal(config.PUBLIC_ADDRESS, undefined);
    assert.equal(config.ACCESS_TOKEN_TTL_S, 900);
    assert.equal(config.RECONNECT_WINDOW_S, 20);
    assert.equal(config.SERVE_DEMO, true);
  });

  it("reads and coerces valid values", () => {
    const config = loadConfig({
      PORT: "8080", REGION: "eu-west", REDIS_URL: "redis://127.0.0.1:6379", JWT_SECRET: "k7Qp2vLx9Rw4Tz8Nc3Hb6Yd1Fg5Jm0Sa",
      LOG_LEVEL: "silent", DRAIN_TIMEOUT_S: "30", SERVE_DEMO: "false", PUBLIC_ADDRESS: "eu1.example.com:2567",
    });
    assert.equal(config.PORT, 8080);
    assert.equal(config.REGION, "eu-west");
    assert.equal(config.REDIS_URL, "redis://127.0.0.1:6379");
    assert.equal(config.DRAIN_TIMEOUT_S, 30);
    assert.equal(config.SERVE_DEMO, false);
    assert.equal(config.PUBLIC_ADDRESS, "eu1.example.com:2567");
  });

  it("treats an empty optional variable as unset", () => {
    assert.equal(loadConfig({ REDIS_URL: "", JWT_SECRET: "" }).REDIS_URL, undefined);
  });

  const bad: Array<[string, string]> = [
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PORT", "0"],
    ["REGION", "EU!"],
    ["REDIS_URL", "http://x"],
    ["MONGO_URL", "postgres://x"],
    ["DATABASE_URL", "mysql://x"],
    ["DATABASE_READ_URL", "mongodb://x"],
    ["DATABASE_PARTITIONS", "0"],
    ["DATABASE_POOL_MAX", "0"],
    ["JWT_SECRET", "too-short"],
    ["ADMIN_TOKEN", "short"],
    ["LOG_LEVEL", "loud"],
    ["DRAIN_TIMEOUT_S", "-5"],
    ["PUBLIC_ADDRESS", "http://host:2567"],
    ["SERVE_DEMO", "yes"],
    ["ALLOW_PER_NODE_STORE", "yes"],
    ["STORE_BREAKER_FAILURES", "0"],
    ["STORE_BREAKER_OPEN_MS", "10"],
    ["STORE_TIMEOUT_MS", "abc"],
  ];
  for (const [variable, value] of bad) {
    it(`refuses ${variable}=${value} with a ConfigError naming ${variable}`, () => {
      assert.throws(() => loadConfig({ [variable]: value }), (e: unknown) => {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
        assert.equal(e.variable, variable);
        assert.match(e.message, new RegExp(`\\b${variable}\\b`));
        assert.ok(!e.message.includes("\n"), "one line");
        return true;
      });
    });
  }

  it("returns a frozen config", () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.throws(() => { (config as { PORT: number }).PORT = 1; }, TypeError);
  });

  it("a bad variable stops `npm start` with exit 1 and one stderr line naming it", function () {
    this.timeout(30_000);
    const env: Record<string, string | undefined> = { ...process.env, PORT: "abc" };
    for (const k of ["REGION", "REDIS_URL", "MONGO_URL", "JWT_SECRET", "ADMIN_TOKEN", "LOG_LEVEL", "PUBLIC_ADDRESS"]) delete env[k];
    const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "server/main.ts")], { cwd: repoRoot, env, encoding: "utf8", timeout: 25_000 });
    assert.equal(run.status, 1, `exit status (stderr: ${run.stderr})`);
    const lines = run.stderr.split("\n").filter((l) => l.trim() !== "");
    assert.equal(lines.length, 1, `stderr: ${run.stderr}`);
    assert.match(lines[0], /PORT/);
  });
});
