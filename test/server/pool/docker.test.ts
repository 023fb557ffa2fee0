/**
 * The Docker deploy, checked offline (no Docker engine here): compose validates with the Debian
 * `docker-compose`, the Dockerfile only copies files the repo has (and that .dockerignore keeps), and
 * the load balancer's per-node route matches every node's PUBLIC_ADDRESS.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, requireBinary } from "../../support/processes.ts";

const dockerDir = join(repoRoot, "docker");

function composeConfig(extra: string[] = []): string {
  requireBinary("docker-compose", "Install it with `apt-get install docker-compose` (.ci/run can do this).");
  const r = spawnSync("docker-compose", ["-f", join(dockerDir, "compose.yml"), ...extra, "config"], {
    encoding: "utf8", env: { ...process.env, JWT_SECRET: "docker-test-3f9c1a7e5b2d8c4f6a0e9b1d7c3a5f8e", ADMIN_TOKEN: "docker-admin-9Kq2Lw7Rt4Nz8Vb3Hj6Pd1Fs5", POSTGRES_PASSWORD: "pw0123456789" },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("docker deploy (offline checks)", function () {
  this.timeout(30_000);

  it("compose validates, with Redis, PostgreSQL, nodes in two regions and a load balancer", () => {
    const out = composeConfig();
    for (const s of ["redis:", "postgres:", "lb:", "node-eu-1:", "node-eu-2:", "node-us-1:"]) assert.ok(out.includes(`  ${s}`), s);
    assert.match(out, /REGION: eu-west/);
    assert.match(out, /REGION: us-east/);
    assert.match(out, /REDIS_URL: redis:\/\/redis:6379/);
    assert.match(out, /profiles:\n\s+- pool/, "the pool manager is behind the `pool` profile");
    const withPool = composeConfig(["--profile", "pool"]);
    assert.match(withPool, /POOL_PROVIDER: docker/);
    assert.match(withPool, /\/var\/run\/docker.sock:\/var\/run\/docker.sock/);
  });

  it("every node and the pool manager (which passes it to its nodes) share the one PostgreSQL; it has a volume and a healthcheck", () => {
    const out = composeConfig(["--profile", "pool"]);
    const urls = [...out.matchAll(/DATABASE_URL: (\S+)/g)].map((m) => m[1]);
    assert.equal(urls.length, 4, "three nodes and the pool manager");
    assert.ok(urls.every((u) => u === "postgres://rally:pw0123456789@postgres:5432/rally"), urls.join(" "));
    assert.doesNotMatch(out, /MONGO_URL/, "no node on a second store");
    assert.match(out, /postgres-data:\/var\/lib\/postgresql\/data/);
    assert.match(out, /pg_isready/);
    assert.equal((out.match(/postgres:\n\s+condition: service_healthy/g) ?? []).length, 4, "nodes and pool wait for a healthy database");
  });

  it("MongoDB (profile mongo) runs as a one-member replica set initiated by its healthcheck", () => {
    const out = composeConfig(["--profile", "mongo"]);
    assert.match(out, /image: mongo:7\n(\s+\S.*\n)*?\s+profiles:\n\s+- mongo/, "only with --profile mongo");
    assert.match(out, /- --replSet\n\s+- rs0/);
    assert.match(out, /rs\.initiate\(/);
  });

  it("compose refuses to start without POSTGRES_PASSWORD", () => {
    const r = spawnSync("docker-compose", ["-f", join(dockerDir, "compose.yml"), "config", "-q"], { encoding: "utf8", env: { ...process.env, JWT_SECRET: "x".repeat(40), POSTGRES_PASSWORD: "" } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /POSTGRES_PASSWORD/);
  });

  it("compose refuses to start without JWT_SECRET", () => {
    const r = spawnSync("docker-compose", ["-f", join(dockerDir, "compose.yml"), "config", "-q"], { encoding: "utf8", env: { ...process.env, JWT_SECRET: "", POSTGRES_PASSWORD: "pw0123456789" } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /JWT_SECRET/);
  });

  it("the Dockerfile copies only files the repo has and the ignore file keeps", () => {
    const dockerfile = readFileSync(join(dockerDir, "Dockerfile"), "utf8");
    const ignored = readFileSync(join(dockerDir, "Dockerfile.dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter(Boolean);
    const copies = dockerfile.split("\n").filter((l) => /^COPY\s/.test(l) && !l.includes("--from="));
    assert.ok(copies.length >= 5);
    for (const line of copies) {
      const parts = line.replace(/^COPY\s+/, "").split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        assert.ok(existsSync(join(repoRoot, src)), `${src} exists in the repo`);
        assert.ok(!ignored.includes(src), `${src} is not excluded by Dockerfile.dockerignore`);
      }
    }
    for (const m of dockerfile.matchAll(/node --import tsx ([\w/.-]+\.ts)/g)) assert.ok(existsSync(join(repoRoot, m[1])), `${m[1]} exists`);
    assert.match(dockerfile, /^FROM .* AS build$/m, "multi-stage");
    const compose = readFileSync(join(dockerDir, "compose.yml"), "utf8");
    for (const m of compose.matchAll(/"(server\/[\w/.-]+\.ts)"/g)) assert.ok(existsSync(join(repoRoot, m[1])), `${m[1]} exists`);
  });

  it("every node's PUBLIC_ADDRESS path is routed by nginx to that node", () => {
    const out = composeConfig();
    const nginx = readFileSync(join(dockerDir, "nginx.conf"), "utf8");
    const route = /location ~ "?\^\/n\/\(\?<node>([^)]+)\)\//.exec(nginx);
    assert.ok(route, "per-node route in nginx.conf");
    const nodeRe = new RegExp(`^${route[1]}$`);
    const addresses = [...out.matchAll(/PUBLIC_ADDRESS: [^/\s]+\/n\/([\w-]+)/g)].map((m) => m[1]);
    assert.equal(addresses.length, 3);
    for (const name of addresses) {
      assert.match(name, nodeRe);
      assert.ok(out.includes(`  ${name}:`), `service ${name} exists, so Docker DNS resolves it`);
    }
    assert.match(nginx, /set \$pool rally-node;/);
    assert.equal((out.match(/- rally-node/g) ?? []).length, 3, "every node has the rally-node alias");
  });
});
