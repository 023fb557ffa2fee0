/**
 * Shared fixtures for the room / connection security tests: a real in-process Rally node started
 * through rally/testing (the wiring of server/node, its real result sink), real players made through
 * `POST /v1/auth/guest`, and official @colyseus/sdk clients.
 */
import assert from "node:assert/strict";
import { pino } from "pino";
import { Client } from "@colyseus/sdk";
import type { GameNode } from "../../server/node/index.ts";
import { startTestRally } from "../../testing/index.ts";
import { defaultTestGames } from "./rooms.ts";
import { decodeRefusal, type ErrorCode, type Refusal } from "../../protocol/index.ts";

export const ADMIN_TOKEN = "admin-token-for-security-tests-0123456789";

export interface SecureNode {
  readonly node: GameNode;
  readonly url: string;
  readonly port: number;
  /** A new guest player (through the HTTP API) and its access token. */
  guest(): Promise<{ playerId: string; token: string }>;
  client(token?: string): Client;
  /** JSON over HTTP, with an optional bearer token. */
  http(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/** `logLines`: the node's log lines (JSON, level warn and up) are pushed there instead of being dropped. */
export async function startSecureNode(env: Record<string, string> = {}, options: { logLines?: string[] } = {}): Promise<SecureNode> {
  const lines = options.logLines;
  const logger = lines ? pino({ level: "warn" }, { write: (line: string) => void lines.push(line) }) : undefined;
  // rally/testing raises the rate limits; a test lowers the ones it is about through `env`.
  const t = await startTestRally({ games: defaultTestGames, logger, env: { ADMIN_TOKEN, ...env } });
  const { node, url, port } = t;
  const http: SecureNode["http"] = async (method, path, options = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...(options.body !== undefined ? { "content-type": "application/json" } : {}), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body };
  };
  return {
    node, url, port, http,
    async guest() {
      const { status, body } = await http("POST", "/v1/auth/guest", { body: {} });
      assert.equal(status, 200, `guest sign-in: ${JSON.stringify(body)}`);
      const { playerId, token } = body as { playerId: string; token: string };
      return { playerId, token };
    },
    client(token) {
      const client = new Client(`ws://127.0.0.1:${port}`);
      if (token) client.auth.token = token;
      return client;
    },
    close: () => t.close(),
  };
}

/** Resolves with the decoded refusal once its code is `code` (one of them, given several); fails if the promise resolved. */
export async function refusal(promise: Promise<unknown>, code: ErrorCode | readonly ErrorCode[]): Promise<Refusal> {
  try {
    const value = await promise;
    // A room that was joined would stay open: leave it so the test's count stays honest.
    await (value as { leave?: () => Promise<unknown> } | undefined)?.leave?.().catch(() => undefined);
  } catch (e) {
    const decoded = decodeRefusal(e);
    const codes: readonly ErrorCode[] = typeof code === "string" ? [code] : code;
    assert.ok(codes.includes(decoded.code), `expected ${codes.join(" or ")}, got ${decoded.code}: ${(e as Error).message}`);
    return decoded;
  }
  assert.fail(`expected a ${String(code)} refusal, but it succeeded`);
}

/** Settles every promise; returns the fulfilled values and the rejection messages. */
export async function settle<T>(promises: Array<Promise<T>>): Promise<{ ok: T[]; errors: string[] }> {
  const out = await Promise.allSettled(promises);
  return {
    ok: out.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === "fulfilled").map((r) => r.value),
    errors: out.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => String((r.reason as Error)?.message ?? r.reason)),
  };
}
