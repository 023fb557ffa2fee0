/**
 * The demo in a real headless Chromium (Debian's, never a downloaded one): builds the SDK bundle,
 * starts a node as a child process, and opens pages, one browser context per player. Fails loudly
 * when Chromium is missing.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { buildSdk } from "../../client-sdk/build.ts";
import { startNodeProcess, type NodeHandle } from "./processes.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface DemoHarness {
  readonly node: NodeHandle;
  /** Page errors and console errors of every page, for assertions and failure messages. */
  readonly pageErrors: string[];
  /** A new player: its own browser context (separate storage, like another browser) on the demo. */
  openDemo(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function startDemo(): Promise<DemoHarness> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is required for the browser tests but ${CHROMIUM} does not exist. Install it with \`apt-get install chromium\` or set CHROMIUM_PATH.`);
  }
  await buildSdk({ quiet: true });
  const node = await startNodeProcess();
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync",
        // Several pages play at once; none may be throttled as a background tab.
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
      ],
    });
  } catch (e) {
    await node.stop("SIGKILL");
    throw e;
  }
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    node,
    pageErrors,
    async openDemo(viewport = { width: 1100, height: 800 }) {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => { if (m.type() === "error") pageErrors.push(`console: ${m.text()}`); });
      const res = await page.goto(`${node.url}/`);
      assert.equal(res?.status(), 200, "the node serves the demo at /");
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await node.stop("SIGKILL");
    },
  };
}

/** Polls `probe` until it returns something truthy; the error names what was awaited and the last failure. */
