/**
 * The demo's end screen in a real headless Chromium: two pages each queue (a party of one) for a
 * ranked 1v1 arena on an in-process node, play, and the match ends through the game's own rule (the
 * test sets team 0's score to the limit, the next step ends it). The winner's page says it won with
 * its rating gain and the win coins, the loser's that it lost with its rating loss and the loss coins;
 * during the match each party panel shows the party in a match. Screenshots go to test-output/demo/.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { matchMaker } from "@colyseus/core";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildSdk } from "../../client-sdk/build.ts";
import type { EndDebug } from "../../client-sdk/demo/demo.ts";
import { loadConfig } from "../../server/config.ts";
import { startGameNode, type GameNode } from "../../server/node/index.ts";
import { DEFAULT_REWARDS } from "../../server/players/index.ts";
import { defineGame } from "../../server/index.ts";
import { ARENA, ArenaRoom, type ArenaState } from "../../examples/arena/index.ts";
import { freePort, repoRoot, tempDir } from "../support/processes.ts";
import { until } from "../support/wait.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = join(repoRoot, "test-output/demo");

interface View { phase: string; sessionId: string | null; team: number | null; partyState: string | null; end: EndDebug | null }
const view = (page: Page) => page.evaluate((): View => {
  const r = window.rally;
  const snap = r?.snapshot();
  const own = snap && r?.sessionId ? snap.players[r.sessionId] : undefined;
  return { phase: r?.phase ?? "connecting", sessionId: r?.sessionId ?? null, team: own?.team ?? null, partyState: r?.social?.partyState ?? null, end: r?.end ?? null };
});

describe("browser demo: the end screen tells a player what happened (real Chromium)", function () {
  this.timeout(120_000);
  let node: GameNode;
  let url: string;
  let browser: Browser;
  const pages: Page[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required but ${CHROMIUM} does not exist. Install it with \`apt-get install chromium\` or set CHROMIUM_PATH.`);
    mkdirSync(SHOTS, { recursive: true });
    await buildSdk({ quiet: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The real node and result sink; only the modes differ: `arena` is a ranked 1v1 here, so two pages make a match.
    const config = loadConfig({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: tempDir(), LOG_LEVEL: "silent", SERVE_DEMO: "true", GUEST_DEVICE_RATE_PER_MIN: "1000" });
    node = await startGameNode(config, { games: { arena: defineGame({ room: ArenaRoom, modes: { arena: { teams: 2, teamSize: 1, readyCheck: { timeoutS: 15 } }, "5v5": { teams: 2, teamSize: 5 } } }) } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"],
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all(matchMaker.disconnectAll());
    await node?.close();
  });

  async function openDemo(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") pageErrors.push(`console: ${m.text()}`); });
    assert.equal((await page.goto(`${url}/`))?.status(), 200);
    await until("the social panel to connect", async () => page.evaluate(() => window.rally?.social?.connected === true), 20_000);
    pages.push(page);
    return page;
  }

  it("says won or lost, the rating change and the coins; the party panel shows the match", async () => {
    const a = await openDemo();
    const b = await openDemo();
    // Each page: a party of one that queues for the ranked arena.
    for (const p of [a, b]) {
      await p.click(`.tabs button[data-tab="party"]`);
      await p.click("#party-create");
      await p.waitForSelector("#party-box", { state: "visible" });
      await p.selectOption("#party-mode", "arena");
      await p.click("#party-queue");
    }
    const [va, vb] = await until("both pages to play the matchmade arena", async () => {
      const [x, y] = await Promise.all([view(a), view(b)]);
      return x.phase === "playing" && y.phase === "playing" && x.team !== null && y.team !== null ? [x, y] as const : null;
    }, 40_000).catch((e: Error) => { throw new Error(`${e.message}\n${pageErrors.join("\n")}`); });
    assert.notEqual(va.team, vb.team, "opponents");
    for (const p of [a, b]) {
      await until("the party panel to show the match", async () => (await view(p)).partyState === "in_match", 10_000);
      assert.equal(await p.getAttribute("#party-state", "data-state"), "in_match");
    }
    await a.screenshot({ path: join(SHOTS, "party-in-match.png") });

    // The game's own end rule: team 0 reaches the score limit; the next step ends the match.
    // The matchmade (ranked) room, not the open arena the pages sat in before they queued.
    const listing = (await matchMaker.query({ name: "arena" })).find((r) => (r.metadata as { matchmade?: boolean } | undefined)?.matchmade === true);
    assert.ok(listing, "the matchmade arena");
    const room = matchMaker.getLocalRoomById(listing.roomId)!;
    (room.state as ArenaState).teamScores[0] = ARENA.scoreLimit;

    const winner = va.team === 0 ? a : b;
    const loser = winner === a ? b : a;
    const ended = async (p: Page) => until("the end screen with rating and coins", async () => {
      const e = (await view(p)).end;
      return e?.rewards && e.ratingDelta !== null ? e : null;
    }, 30_000).catch(async (e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(await view(p))}\n${pageErrors.join("\n")}`); });
    const [w, l] = [await ended(winner), await ended(loser)];

    assert.equal(w.outcome, "won");
    assert.match(await winner.innerText("#headline"), /you won/i);
    assert.ok(w.ratingDelta! > 0, `the winner's rating went up (${w.ratingDelta})`);
    assert.equal(w.coins, DEFAULT_REWARDS.win.coins);
    const wText = await winner.innerText("#rewards");
    assert.match(wText, new RegExp(`Rating \\d+ → \\d+ \\(\\+${w.ratingDelta}\\)`));
    assert.match(wText, new RegExp(`\\+${DEFAULT_REWARDS.win.coins} coins`));

    assert.equal(l.outcome, "lost");
    assert.match(await loser.innerText("#headline"), /you lost/i);
    assert.ok(l.ratingDelta! < 0, `the loser's rating went down (${l.ratingDelta})`);
    assert.equal(l.coins, DEFAULT_REWARDS.loss.coins);
    assert.match(await loser.innerText("#rewards"), new RegExp(`\\+${DEFAULT_REWARDS.loss.coins} coins`));

    await winner.screenshot({ path: join(SHOTS, "end-won.png") });
    await loser.screenshot({ path: join(SHOTS, "end-lost.png") });
    console.log(`      screenshots: ${["party-in-match", "end-won", "end-lost"].map((n) => join(SHOTS, `${n}.png`)).join(", ")}`);
    assert.deepEqual(pageErrors, [], "no page errors");
  });
});
