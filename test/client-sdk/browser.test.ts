/**
 * End to end in a real headless Chromium: two pages load the demo from a real node, play each other
 * in one arena, and page B sees page A's player move when A holds a movement key. Positions come from
 * the demo's debug hook (window.rally), not from pixels.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { DebugSnapshot, RallyDebug } from "../../client-sdk/demo/demo.ts";
import { startDemo, type DemoHarness } from "../support/browser.ts";
import { until } from "../support/wait.ts";

const debug = (page: Page) => page.evaluate((): { sessionId: string | null; phase: RallyDebug["phase"]; snap: DebugSnapshot | null } => {
  const r = window.rally;
  return { sessionId: r?.sessionId ?? null, phase: r?.phase ?? "connecting", snap: r?.snapshot() ?? null };
});

describe("browser demo (real Chromium)", function () {
  this.timeout(90_000);
  let demo: DemoHarness;
  const pageErrors = () => demo.pageErrors;

  before(async () => { demo = await startDemo(); });
  after(async () => { await demo?.close(); });

  const openDemo = () => demo.openDemo({ width: 1100, height: 800 });

  it("serves the demo page and the SDK bundle", async function () {
    const html = await fetch(`${demo.node.url}/`);
    assert.equal(html.status, 200);
    assert.match(await html.text(), /<canvas id="arena"/);
    const js = await fetch(`${demo.node.url}/rally.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
  });

  it("two pages play one arena; B sees A move while A holds a key", async function () {
    const a = await openDemo();
    const b = await openDemo();

    const [da, db] = await until("both pages to reach phase playing", async () => {
      const [x, y] = await Promise.all([debug(a), debug(b)]);
      return x.phase === "playing" && y.phase === "playing" ? [x, y] as const : null;
    }, 30_000).catch((e: Error) => { throw new Error(`${e.message}\n${pageErrors().join("\n")}`); });

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
      const moved = await until("B to see A move", async () => {
        const p = (await debug(b)).snap?.players[da.sessionId!];
        return p && (p.x - startInB.x) * direction > 60 ? p : null;
      }, 10_000);
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
    const back = await until("B to be back in its seat after a reload", async () => {
      const d = await debug(b);
      return d.phase === "playing" && d.sessionId ? d : null;
    }, 15_000);
    assert.equal(back.sessionId, db.sessionId, "same seat after reload");
    assert.equal(back.snap!.players[back.sessionId!]!.playerId, db.snap!.players[db.sessionId!]!.playerId, "same player after reload");
    await until("A to see B connected again", async () => (await debug(a)).snap?.players[db.sessionId!]?.connected === true, 5000);
    assert.deepEqual(pageErrors(), [], "no page errors");
  });
});
