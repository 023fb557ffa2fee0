/**
 * The shipped load balancer, run for real: Debian's nginx with the config generated from
 * docker/nginx.conf (as compose runs it) in front of two Rally nodes on loopback sharing a private
 * Redis and one store. Official-SDK players authenticate, matchmake and play through it: the HTTP API
 * and /matchmake go to any node, each seat's WebSocket follows its node's PUBLIC_ADDRESS path
 * (`<lb>/n/<node-name>`) through the proxy to the process that owns the room.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, type Room } from "@colyseus/sdk";
import { freePort, repoRoot, requireBinary, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle } from "../support/processes.ts";
import { until } from "../support/wait.ts";
import { acceptSeat, joinQueue } from "../support/matchmaker-e2e.ts";

/**
 * docker/nginx.conf for loopback: Docker's DNS names (each node's service name, and the shared
 * `rally-node` alias) become nginx upstream groups of the same names, which nginx resolves before any
 * resolver; everything else (routes, headers, log format) is the shipped file unchanged.
 */
export function loopbackNginxConf(shipped: string, o: { port: number; dir: string; nodes: Record<string, number> }): string {
  const server = shipped
    .replace(/^resolver .*;$/m, "")
    .replace(/listen 8080;/, `listen 127.0.0.1:${o.port};`)
    .replace(/access_log \/var\/log\/nginx\/access\.log/, `access_log ${o.dir}/access.log`)
    .replaceAll(":2567", "");
  assert.ok(!server.includes("2567") && server.includes(`listen 127.0.0.1:${o.port}`), "the shipped config has the expected listen and ports");
  const upstreams = Object.entries(o.nodes).map(([name, port]) => `upstream ${name} { server 127.0.0.1:${port}; }`);
  upstreams.push(`upstream rally-node { ${Object.values(o.nodes).map((p) => `server 127.0.0.1:${p};`).join(" ")} }`);
  return [
    "worker_processes 1;", `pid ${o.dir}/nginx.pid;`, `error_log ${o.dir}/error.log warn;`, "daemon off;",
    "events { worker_connections 1024; }",
    "http {",
    `  client_body_temp_path ${o.dir}/body; proxy_temp_path ${o.dir}/proxy; fastcgi_temp_path ${o.dir}/fcgi; uwsgi_temp_path ${o.dir}/uwsgi; scgi_temp_path ${o.dir}/scgi;`,
    ...upstreams, server, "}",
  ].join("\n");
}

describe("the shipped nginx load balancer in front of two nodes", function () {
  this.timeout(120_000);
  let redis: RedisHandle | undefined;
  let nginx: ChildProcess | undefined;
  const nodes: NodeHandle[] = [];
  const rooms: Room[] = [];
  let lb = "";
  let dir = "";

  before(async () => {
    requireBinary("nginx", "Install it with `apt-get install nginx` (.ci/run does this).");
    redis = await startRedis();
    dir = tempDir("rally-nginx-");
    const lbPort = await freePort();
    const shared = tempDir("rally-shared-store-");
    const common = {
      REDIS_URL: redis.url, JWT_SECRET: randomBytes(32).toString("hex"), SHARED_SQLITE_DIR: shared, LOG_LEVEL: "warn", SERVE_DEMO: "false",
      TRUST_PROXY: "loopback", MM_CONNECT_TIMEOUT_S: "10", AUTH_RATE_PER_MIN: "1000",
    };
    const ports: Record<string, number> = {};
    for (const name of ["node-a", "node-b"]) {
      const port = await freePort();
      ports[name] = port;
      nodes.push(await startNodeProcess({ ...common, PORT: String(port), NODE_NAME: name, PUBLIC_ADDRESS: `127.0.0.1:${lbPort}/n/${name}` }));
    }
    const conf = join(dir, "nginx.conf");
    writeFileSync(conf, loopbackNginxConf(readFileSync(join(repoRoot, "docker/nginx.conf"), "utf8"), { port: lbPort, dir, nodes: ports }));
    nginx = spawn("nginx", ["-p", dir, "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    nginx.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
    lb = `http://127.0.0.1:${lbPort}`;
    await until(`nginx on ${lb} (${stderr})`, async () => (await fetch(`${lb}/readyz`)).status === 200, 15_000, 100);
  });

  after(async () => {
    await Promise.allSettled(rooms.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
    nginx?.kill("SIGKILL");
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.stop();
  });

  it("players authenticate, matchmake and play through the proxy; each WebSocket reaches its room's node", async () => {
    // Four players for the example `arena` mode (2v2), every call through nginx.
    const players = await Promise.all([0, 1, 2, 3].map(async (i) => {
      const res = await fetch(`${lb}/v1/auth/guest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ deviceId: `nginx-player-${i}-${Date.now()}` }) });
      assert.equal(res.status, 200);
      const body = await res.json() as { playerId: string; token: string };
      const client = new Client(lb);
      client.auth.token = body.token;
      return { ...body, client };
    }));
    const queued = await Promise.all(players.map((p) => joinQueue(p.client, { mode: "arena" })));
    for (const q of queued) assert.match(q.queue.connection.url!, new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/n/node-[ab]/`), "the queue socket goes through the proxy");
    const matched = await Promise.all(players.map((p, i) => acceptSeat(p.client, queued[i], 30_000)));
    rooms.push(...matched);

    // Every seat's WebSocket went through nginx to the node named in its path, and that node owns the room.
    const roomId = matched[0].roomId;
    for (const room of matched) {
      assert.equal(room.roomId, roomId);
      assert.match(room.connection.url!, new RegExp(`^ws://127\\.0\\.0\\.1:${new URL(lb).port}/n/(node-[ab])/`));
    }
    const owner = /\/n\/(node-[ab])\//.exec(matched[0].connection.url!)![1];
    const ownerNode = nodes[owner === "node-a" ? 0 : 1];
    const metrics = await (await fetch(`${ownerNode.url}/metrics`)).text();
    assert.match(metrics, /^rally_rooms\{[^}]*room="arena"[^}]*\} 1$/m, "the room lives on the node its path names");

    // Play: an input from one player moves it in everyone's state (patches come back through nginx).
    const room = matched[0];
    await until("the match is playing", () => (room.state as { phase: string }).phase === "playing", 20_000);
    const me = () => (matched[1].state as { players: Map<string, { x: number }> }).players.get(room.sessionId);
    // the other client's copy of the state may be a patch behind on a busy machine
    await until("the other player sees this one", () => me() !== undefined, 10_000);
    const x0 = me()!.x;
    room.send("input", { seq: 1, x: 1, y: 0, aim: 0, fire: false });
    await until("the move is seen by another player", () => (me()?.x ?? x0) > x0 + 10, 10_000);

    // The access log holds paths, never the tokens in the WebSocket query strings.
    const log = readFileSync(join(dir, "access.log"), "utf8");
    assert.match(log, /GET \/n\/node-[ab]\//);
    assert.ok(!log.includes("_authToken") && !log.includes(players[0].token), "no token in the access log");
  });
});
