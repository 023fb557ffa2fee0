/**
 * The admin console at /admin in a real headless Chromium (Debian's, never a downloaded one) against
 * a real node: a wrong token is refused, sign in, see a live room (made with the official SDK) and
 * its clients, a queued ticket, look a player up, ban and unban, override a rating, drain the node
 * (its /readyz then says draining). Screenshots go to test-output/admin/ (gitignored); their paths
 * are printed. A node without ADMIN_TOKEN answers "admin disabled" and never opens.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Client, type Room } from "@colyseus/sdk";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort, guest, repoRoot, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle } from "../../support/processes.ts";
import { until } from "../../support/wait.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ADMIN_TOKEN = "c0ffee7a9d1e4b2f8a6c3e5d7b9f1a2c4e6d8b0a";
const SHOTS = join(repoRoot, "test-output/admin");

function clientFor(node: NodeHandle, token: string): Client {
  const client = new Client(node.url);
  client.auth.token = token;
  return client;
}

describe("admin console (real Chromium)", function () {
  this.timeout(120_000);
  let node: NodeHandle;
  let browser: Browser;
  let page: Page;
  const rooms: Room[] = [];
  const pageErrors: string[] = [];
  const shots: string[] = [];

  const shot = async (name: string) => {
    const path = join(SHOTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
  };
  const text = (selector: string) => page.locator(selector).innerText();

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required but ${CHROMIUM} does not exist. Install it with \`apt-get install chromium\` or set CHROMIUM_PATH.`);
    mkdirSync(SHOTS, { recursive: true });
    node = await startNodeProcess({ ADMIN_TOKEN, SERVE_DEMO: "false", ADMIN_RATE_PER_MIN: "1000", GUEST_DEVICE_RATE_PER_MIN: "1000" });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error" && !/status of 40[13]/.test(m.text())) pageErrors.push(`console: ${m.text()}`); });
  });

  after(async () => {
    for (const r of rooms) await r.leave().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await node?.stop("SIGKILL");
    if (shots.length) console.log(`      screenshots:\n${shots.map((s) => `        ${s}`).join("\n")}`);
  });

  it("serves the pages under a strict CSP and no-store", async () => {
    const res = await fetch(`${node.url}/admin/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.doesNotMatch(await res.text(), /<script>(?!<)/, "no inline script");
    const api = await fetch(`${node.url}/v1/admin/rooms`);
    assert.equal(api.status, 401, "the JSON routes need the token");
  });

  it("refuses a wrong token, then signs in", async () => {
    await page.goto(`${node.url}/admin`);
    await page.fill("#token", "not-the-token-but-long-enough-0123456789");
    await page.click("#login");
    await until("the refusal", async () => /FORBIDDEN/.test(await text("#login-note")), 10_000);
    assert.equal(await page.isVisible("#console-view"), false, "the console stays closed");
    await shot("01-wrong-token");

    await page.fill("#token", ADMIN_TOKEN);
    await page.click("#login");
    await page.waitForSelector("#console-view", { state: "visible" });
    await until("this node in the node table", async () => (await page.locator("#nodes tr[data-state='ready']").count()) === 1, 10_000);
    assert.equal(await page.evaluate(() => location.href.includes("c0ffee")), false, "the token never goes into the URL");
    await shot("02-nodes");
  });

  it("shows a live room and its clients", async () => {
    const a = await guest(node.url, "admin-console-a");
    const b = await guest(node.url, "admin-console-b");
    const room = await clientFor(node, a.token).joinOrCreate("arena");
    rooms.push(room);
    rooms.push(await clientFor(node, b.token).joinById(room.roomId));

    await page.click(".tabs button[data-tab='rooms']");
    const row = page.locator(`#rooms tr[data-room-id='${room.roomId}']`);
    await until("the arena room listed with 2 clients", async () => (await row.count()) === 1 && (await row.locator(".clients").innerText()).startsWith("2 /"), 10_000);
    await row.locator("button").click();
    await until("both clients in the room detail", async () => (await page.locator("#room-clients tr[data-player-id]").count()) === 2, 10_000);
    const players = await page.locator("#room-clients tr").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.playerId));
    assert.deepEqual(new Set(players), new Set([a.playerId, b.playerId]));
    assert.match(await text("#room-clients"), new RegExp(a.name));
    await shot("03-rooms");
  });

  it("shows a waiting ticket in the queues", async () => {
    const q = await guest(node.url, "admin-console-q");
    const queued = await clientFor(node, q.token).joinOrCreate("queue", { mode: "5v5" });
    queued.onMessage("*", () => undefined);
    rooms.push(queued);
    await page.click(".tabs button[data-tab='queues']");
    await until("one waiting 5v5 ticket", async () => {
      const row = page.locator("#queues tr[data-mode='5v5'] .tickets");
      return (await row.count()) === 1 && (await row.innerText()) === "1";
    }, 15_000);
    await shot("04-queues");
  });

  it("looks a player up, bans, unbans and overrides a rating", async () => {
    const p = await guest(node.url, "admin-console-p");
    await page.click(".tabs button[data-tab='players']");
    await page.fill("#lookup", p.playerId);
    await page.click("#lookup-form button[type='submit']");
    await until("the player shown", async () => (await page.getAttribute("#player", "data-player-id")) === p.playerId, 10_000);
    assert.equal(await text("#p-name"), p.name);

    await page.fill("#ban-reason", "cheating in a test");
    await page.click("#ban");
    await until("the ban shown", async () => (await page.getAttribute("#player", "data-banned")) === "true", 10_000);
    assert.match(await text("#p-ban"), /cheating in a test/);
    const me = await fetch(`${node.url}/v1/players/me`, { headers: { Authorization: `Bearer ${p.token}` } });
    assert.ok(me.status === 401 || me.status === 403, `the banned player's token stops working (got ${me.status})`);
    await shot("05-banned");

    await page.click("#unban");
    await until("the ban lifted", async () => (await page.getAttribute("#player", "data-banned")) === "false", 10_000);

    await page.fill("#rating-mode", "arena");
    await page.fill("#rating-value", "1800");
    await page.click("#rating-set");
    await until("the arena rating row", async () => (await page.locator("#p-ratings tr[data-mode='arena']").count()) === 1, 10_000);
    const profile = await (await fetch(`${node.url}/v1/admin/players/${p.playerId}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json() as { ratings: Array<{ mode: string; mmr: number }> };
    const arena = profile.ratings.find((r) => r.mode === "arena");
    assert.ok(arena, "the override is stored");
    assert.equal(await text("#p-ratings tr[data-mode='arena'] .mmr"), String(arena.mmr));
    await shot("06-rating");
  });

  it("drains the node from the console: /readyz then says draining", async () => {
    await page.click(".tabs button[data-tab='nodes']");
    page.once("dialog", (d) => void d.accept());
    await page.locator("#nodes tr[data-state='ready'] button").click();
    const ready = await until("/readyz to report draining", async () => {
      const res = await fetch(`${node.url}/readyz`);
      const body = await res.json() as { status: string };
      return res.status === 503 && body.status === "draining" ? body : null;
    }, 10_000);
    assert.equal(ready.status, "draining");
    await until("the console to show the node draining", async () => (await page.locator("#nodes tr[data-state='draining']").count()) === 1, 10_000);
    await shot("07-drained");
    assert.deepEqual(pageErrors, [], "no page errors");
    assert.equal(node.output.some((l) => l.includes(ADMIN_TOKEN)), false, "the token never appears in the node's logs");
  });
});

describe("admin console without ADMIN_TOKEN", function () {
  this.timeout(60_000);
  let node: NodeHandle;
  before(async () => { node = await startNodeProcess({ SERVE_DEMO: "false" }); });
  after(async () => { await node?.stop("SIGKILL"); });

  it("answers admin disabled, never an open console", async () => {
    const page = await fetch(`${node.url}/admin/`);
    assert.equal(page.status, 404);
    assert.match(await page.text(), /ADMIN_DISABLED/);
    for (const path of ["/v1/admin/rooms", "/v1/admin/nodes", "/v1/admin/queues"]) {
      const res = await fetch(`${node.url}${path}`, { headers: { Authorization: "Bearer anything-at-all-0123456789-abcdefgh" } });
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "ADMIN_DISABLED");
    }
  });
});

describe("admin API across a cluster (two nodes, one Redis)", function () {
  this.timeout(90_000);
  let redis: RedisHandle;
  const nodes: NodeHandle[] = [];
  const rooms: Room[] = [];
  const admin = (node: NodeHandle, path: string, method = "GET") => fetch(`${node.url}${path}`, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });

  before(async () => {
    redis = await startRedis();
    const common = { REDIS_URL: redis.url, SHARED_SQLITE_DIR: tempDir("rally-admin-store-"), ADMIN_TOKEN, JWT_SECRET: "9f2b7c4e1a6d8f3b5c7e9a1d3f5b7c9e1a3d5f7b", LOG_LEVEL: "warn", SERVE_DEMO: "false", REGION: "local" };
    for (const name of ["admin-a", "admin-b"]) {
      const port = await freePort();
      nodes.push(await startNodeProcess({ ...common, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}`, NODE_NAME: name }));
    }
  });
  after(async () => {
    for (const r of rooms) await r.leave().catch(() => undefined);
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.stop();
  });

  it("lists a room on another node with its clients (asked of the hosting node), and drains a node by name", async () => {
    const [A, B] = nodes as [NodeHandle, NodeHandle];
    const p = await guest(A.url, "admin-cluster-p");
    const room = await clientFor(A, p.token).joinOrCreate("arena");
    rooms.push(room);
    // Whichever node placement picked, both nodes' consoles see the room and its client.
    for (const node of [A, B]) {
      const { rooms: listed } = await (await admin(node, "/v1/admin/rooms")).json() as { rooms: Array<{ roomId: string; node: string | null }> };
      const mine = listed.find((r) => r.roomId === room.roomId);
      assert.ok(mine && (mine.node === "admin-a" || mine.node === "admin-b"), "listed with its node's name");
      const detail = await (await admin(node, `/v1/admin/rooms/${room.roomId}`)).json() as { clients: Array<{ playerId: string; name: string }> };
      assert.deepEqual(detail.clients.map((c) => c.playerId), [p.playerId]);
      assert.equal(detail.clients[0]!.name, p.name);
    }
    const drained = await admin(A, "/v1/admin/nodes/admin-b/drain", "POST");
    assert.equal(drained.status, 202);
    await until("admin-b to report draining", async () => (await fetch(`${B.url}/readyz`)).status === 503, 10_000);
    assert.equal((await fetch(`${A.url}/readyz`)).status, 200, "only the named node drains");
  });
});
