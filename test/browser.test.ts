/**
 * End to end in a real headless Chromium: two pages load the demo from a real node, play each other
 * in one arena, and page B sees page A's player move when A holds a movement key. Positions come from
 * the demo's debug hook (window.rally), not from pixels.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { buildSdk } from "../client-sdk/build.ts";
import type { DebugSnapshot, RallyDebug } from "../client-sdk/demo/demo.ts";
import { startNodeProcess, type NodeHandle } from "./helpers/processes.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

const debug = (page: Page) => page.evaluate((): { sessionId: string | null; phase: RallyDebug["phase"]; snap: DebugSnapshot | null } => {
  const r = window.rally;
  return { sessionId: r?.sessionId ?? null, phase: r?.phase ?? "connecting", snap: r?.snapshot() ?? null };
});

describe("browser demo (real Chromium)", function () {
  this.timeout(90_000);
  let node: NodeHandle | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is required for the browser test but ${CHROMIUM} does not exist. Install it with \`apt-get install chromium\` or set CHROMIUM_PATH.`);
    }
    await buildSdk({ quiet: true });
    node = await startNodeProcess();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync",
        // Two pages play at once; neither may be throttled as a background tab.
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
      ],
    });
  });

  after(async function () {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await node?.stop("SIGKILL");
  });

  async function openDemo(): Promise<Page> {
    // A context per player: separate storage, like two different browsers.
    const context = await browser!.newContext({ viewport: { width: 1100, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") pageErrors.push(`console: ${m.text()}`); });
    const res = await page.goto(`${node!.url}/`);
    assert.equal(res?.status(), 200, "the node serves the demo at /");
    return page;
  }

  it("serves the demo page and the SDK bundle", async function () {
    const html = await fetch(`${node!.url}/`);
    assert.equal(html.status, 200);
    assert.match(await html.text(), /<canvas id="arena"/);
    const js = await fetch(`${node!.url}/rally.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
  });

  it("two pages play one arena; B sees A move while A holds a key", async function () {
    const a = await openDemo();
    const b = await openDemo();

    const [da, db] = await until("both pages to reach phase playing", 30_000, async () => {
      const [x, y] = await Promise.all([debug(a), debug(b)]);
      return x.phase === "playing" && y.phase === "playing" ? [x, y] as const : null;
    }).catch((e: Error) => { throw new Error(`${e.message}\n${pageErrors.join("\n")}`); });

    assert.ok(da.sessionId && db.sessionId && da.sessionId !== db.sessionId, "two distinct seats");
    assert.equal(da.snap!.players[db.sessionId!] !== undefined, true, "A sees B");
    const startInB = db.snap!.players[da.sessionId!];
    assert.ok(startInB, "B sees A's player");
    assert.notEqual(da.snap!.players[da.sessionId!]!.playerId, db.snap!.players[db.sessionId!]!.playerId, "two distinct players");

    // Team 0 spawns on the left edge, team 1 on the right: move A toward the middle so it never sits on a wall.
    const key = startInB.x < 500 ? "d" : "a";
    const direction = key === "d" ? 1 : -1;
    await a.keyboard.down(key);
    try {
      const moved = await until("B to see A move", 10_000, async () => {
        const p = (await debug(b)).snap?.players[da.sessionId!];
        return p && (p.x - startInB.x) * direction > 60 ? p : null;
      });
      assert.ok(Math.abs(moved.y - startInB.y) < 1, "a horizontal key moves only horizontally");
    } finally {
      await a.keyboard.up(key);
    }

    // Released: A stops (within one input interval and a patch), as seen from B.
    await new Promise((r) => setTimeout(r, 300));
    const stopped = (await debug(b)).snap!.players[da.sessionId!]!.x;
    await new Promise((r) => setTimeout(r, 400));
    const later = (await debug(b)).snap!.players[da.sessionId!]!.x;
    assert.ok(Math.abs(later - stopped) < 1, `A stopped after key up (moved ${later - stopped})`);

    // Own ammo is the private field: each page sees its own.
    assert.equal((await debug(a)).snap!.ammo, 10);

    // A reload keeps the player and takes the same seat back (reconnection token in sessionStorage).
    await b.reload();
    const back = await until("B to be back in its seat after a reload", 15_000, async () => {
      const d = await debug(b);
      return d.phase === "playing" && d.sessionId ? d : null;
    });
    assert.equal(back.sessionId, db.sessionId, "same seat after reload");
    assert.equal(back.snap!.players[back.sessionId!]!.playerId, db.snap!.players[db.sessionId!]!.playerId, "same player after reload");
    await until("A to see B connected again", 5000, async () => (await debug(a)).snap?.players[db.sessionId!]?.connected === true);
    assert.deepEqual(pageErrors, [], "no page errors");
  });
});
