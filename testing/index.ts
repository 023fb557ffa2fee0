/**
 * `rally/testing`: a real Rally node for a game's tests, started through the same `createRally`
 * registration path as `npm start` (no room types added behind Colyseus' back).
 *
 *   import { startTestRally } from "rally/testing";
 *   const t = await startTestRally({ games: { tap: tapGame } });
 *   // t.url (HTTP), t.wsUrl (SDK), t.node.store / t.node.matchmaker / t.node.tokens ...
 *   await t.close();
 *
 * Test settings: a free port on 127.0.0.1, a fresh temporary DATA_DIR, a memory store, a random
 * 48-character JWT_SECRET, quiet logs, no demo page, and rate limits raised so only the limits a test
 * sets itself get in its way. `env` overrides any of them (as strings, like the environment). Colyseus'
 * matchmaker is one per process: one test node at a time.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { matchMaker } from "@colyseus/core";
import { createRally, loadConfig, type GameNode, type Rally, type RallyOptions } from "../server/index.ts";
import { createMemoryStore } from "../server/store/index.ts";
import { freePort } from "../server/pool/providers/local.ts";

export interface TestRallyOptions extends Omit<RallyOptions, "config"> {
  /** Environment-style settings on top of the test defaults (e.g. `{ MM_CONNECT_TIMEOUT_S: "2" }`). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface TestRally {
  /** `http://127.0.0.1:<port>`: the HTTP API and the SDK's endpoint. */
  readonly url: string;
  /** `ws://127.0.0.1:<port>`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly rally: Rally;
  /** The node's services (store, tokens, players, matchmaker, social, chat, metrics...). */
  readonly node: GameNode;
  /** Disconnects every room (no drain wait), then stops the node. Idempotent. */
  close(): Promise<void>;
}

/** Limits high enough that a test's own traffic never meets them. */
export const RAISED_LIMITS: Readonly<Record<string, string>> = {
  AUTH_RATE_PER_MIN: "10000", API_RATE_PER_MIN: "10000", ACCOUNT_RATE_PER_MIN: "10000",
  MATCHMAKE_RATE_PER_MIN: "10000", ROOM_CREATES_PER_MIN: "10000", ADMIN_RATE_PER_MIN: "10000",
  GUEST_DEVICE_RATE_PER_MIN: "10000",
};

export async function startTestRally(options: TestRallyOptions): Promise<TestRally> {
  const { env = {}, ...rallyOptions } = options;
  const port = env.PORT !== undefined ? Number(env.PORT) : await freePort();
  const config = loadConfig({
    HOST: "127.0.0.1", DATA_DIR: mkdtempSync(join(tmpdir(), "rally-test-")), LOG_LEVEL: "silent", SERVE_DEMO: "false",
    JWT_SECRET: randomBytes(36).toString("base64url"), ...RAISED_LIMITS,
    ...env, PORT: String(port),
  });
  const rally = await createRally({ ...rallyOptions, config, store: rallyOptions.store ?? await createMemoryStore() });
  await rally.listen();
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    rally,
    node: rally.node,
    close() {
      closed ??= (async () => {
        // A node drains running matches (up to DRAIN_TIMEOUT_S) before it stops: close the rooms first.
        await Promise.all(matchMaker.disconnectAll());
        await rally.close();
      })();
      return closed;
    },
  };
}
