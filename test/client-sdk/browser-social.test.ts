/**
 * The demo's side panel in a real headless Chromium, driven through its buttons: two pages (two
 * players) become friends by player id, each sees the other's presence pushed over `social`, they
 * form a party (invite from the friends list, accept), both tabs join the queue when the leader
 * queues (and leave it when the leader cancels), and chat lines pass through a relay session. State
 * is read from the DOM and the demo's debug hook (window.rally.social), never from pixels.
 * Set SCREENSHOT_DIR to keep a screenshot of each page.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { SocialDebug } from "../../client-sdk/demo/social.ts";
import { startDemo, type DemoHarness } from "../support/browser.ts";
import { until } from "../support/wait.ts";

interface View { playerId: string | null; phase: string; social: SocialDebug | null }
const view = (page: Page) => page.evaluate((): View => {
  const r = window.rally;
  const s = r?.social;
  return {
    playerId: r?.playerId ?? null, phase: r?.phase ?? "connecting",
    social: s ? { connected: s.connected, friends: s.friends, incoming: s.incoming, party: s.party, invites: s.invites, queue: s.queue, partyState: s.partyState, members: s.members, relay: s.relay } : null,
  };
});

describe("browser demo: friends, party, relay (real Chromium)", function () {
  this.timeout(120_000);
  let demo: DemoHarness;
  const pageErrors = () => demo.pageErrors;

  before(async () => { demo = await startDemo(); });
  after(async () => { await demo?.close(); });

  const openDemo = () => demo.openDemo({ width: 1280, height: 760 });

  const tab = (page: Page, name: "friends" | "party" | "relay") => page.click(`.tabs button[data-tab="${name}"]`);

  it("two pages become friends, see each other's presence, form a party, queue together, and chat through a relay", async function () {
    const a = await openDemo();
    const b = await openDemo();
    const ready = async (p: Page) => until("the social panel to connect", async () => {
      const v = await view(p);
      return v.social?.connected && v.playerId ? v : null;
    }, 20_000).catch((e: Error) => { throw new Error(`${e.message}\n${pageErrors().join("\n")}`); });
    const [va, vb] = [await ready(a), await ready(b)];
    const idA = va.playerId!, idB = vb.playerId!;
    assert.notEqual(idA, idB);
    // Each page shows its own player id (what the other tab types in).
    assert.equal(await a.textContent("#me-id"), idA);

    // Friends: A adds B by id; B accepts from its requests list.
    await a.fill("#friend-id", idB);
    await a.click("#friend-add");
    await b.waitForSelector(`#friend-requests li[data-player-id="${idA}"]`);
    assert.equal(await b.textContent("#friends-badge"), "1");
    await b.click(`#friend-requests li[data-player-id="${idA}"] button:text("Accept")`);

    // Presence, pushed: both pages are in the arena, so each sees the other "in match · arena".
    const rowB = `#friend-list li[data-player-id="${idB}"]`;
    await a.waitForSelector(`${rowB}[data-status="in_match"]`, { timeout: 20_000 });
    assert.equal(await a.textContent(`${rowB} .presence`), "in match · arena");
    await b.waitForSelector(`#friend-list li[data-player-id="${idA}"][data-status="in_match"]`, { timeout: 20_000 });

    // Party: A invites B from the friends list (creates the party); B accepts in its party tab.
    await a.click(`${rowB} button:text("Invite")`);
    await b.waitForSelector("#party-badge:text('1')");
    await tab(b, "party");
    await b.click(`#party-invites li button:text("Accept")`);
    for (const p of [a, b]) {
      await tab(p, "party");
      await p.waitForSelector(`#party-members li[data-player-id="${idB}"]`);
      assert.equal(await p.getAttribute(`#party-members li[data-player-id="${idA}"]`, "data-leader"), "true", "A leads");
      assert.equal(await p.locator("#party-members li[data-player-id]").count(), 2);
    }
    assert.equal(await b.isDisabled("#party-queue"), true, "only the leader starts queueing");
    // The panel follows the party's real state: both members sit in their arenas, so it is in a match.
    for (const p of [a, b]) {
      await until("the party panel to show the party in a match", async () => (await view(p)).social?.partyState === "in_match", 10_000);
      assert.equal(await p.getAttribute("#party-state", "data-state"), "in_match");
      assert.deepEqual((await view(p)).social!.members.map((m) => m.status), ["in_match", "in_match"]);
    }
    if (process.env.SCREENSHOT_DIR) await a.screenshot({ path: join(process.env.SCREENSHOT_DIR, "demo-party-a.png") });

    // Queue as a party: the leader clicks Queue; both tabs leave the arena and join `queue` with the
    // partyId; the ticket searches once both are in. The leader cancels: both tabs leave the queue.
    await a.selectOption("#party-mode", "arena");
    await a.click("#party-queue");
    for (const p of [a, b]) {
      await until("the tab to be searching as a party", async () => {
        const v = await view(p);
        return v.phase === "queueing" && v.social?.queue?.mode === "arena" && v.social.queue.state === "searching";
      }, 20_000).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify((await view(p)))} ${await p.textContent("#party-note")} ${await p.textContent("#subline")}\n${pageErrors().join("\n")}`);
      });
    }
    await a.waitForSelector(`${rowB}[data-status="in_queue"]`, { timeout: 20_000, state: "attached" });
    assert.equal(await a.textContent(`${rowB} .presence`), "in queue · arena");
    await a.click("#party-queue:text('Cancel')");
    for (const p of [a, b]) await until("the queue to end", async () => (await view(p)).social?.queue === null, 20_000);
    // Out of the match and the queue: the party is ready again, on both pages.
    for (const p of [a, b]) await until("the party to be ready", async () => (await view(p)).social?.partyState === "ready", 10_000);
    await b.waitForSelector("#again:not([hidden])");
    assert.equal((await view(b)).phase, "idle", "a cancelled queue is not an error");

    // Relay: A hosts, B joins with the code, lines go both ways through the relay room.
    await tab(a, "relay");
    await tab(b, "relay");
    await a.click("#relay-host");
    const code = await until("a relay code", async () => (await view(a)).social?.relay.code, 10_000);
    assert.match(code, /^[A-Z2-9]{6}$/);
    assert.equal(await a.textContent("#relay-shown-code"), code);
    await b.fill("#relay-code", code);
    await b.click("#relay-join");
    await until("both peers in the session", async () => (await view(a)).social?.relay.peers === 2, 10_000);
    await a.fill("#relay-text", "hello from A");
    await a.press("#relay-text", "Enter");
    await b.waitForSelector(`#relay-log div:has-text("hello from A")`);
    const line = (await view(b)).social!.relay.log.find((l) => l.endsWith(": hello from A"));
    assert.ok(line && !line.startsWith("you:"), `B shows A's line from A (${line})`);
    await b.fill("#relay-text", "hi A");
    await b.click("#relay-send");
    await a.waitForSelector(`#relay-log div:has-text("hi A")`);
    await b.click("#relay-ping");
    await b.waitForSelector(`#relay-log div:has-text("pong from")`);

    if (process.env.SCREENSHOT_DIR) {
      await a.screenshot({ path: join(process.env.SCREENSHOT_DIR, "demo-social-a.png") });
      await tab(b, "friends");
      await b.screenshot({ path: join(process.env.SCREENSHOT_DIR, "demo-social-b.png") });
    }
    assert.deepEqual(pageErrors(), [], "no page errors");
  });
});
