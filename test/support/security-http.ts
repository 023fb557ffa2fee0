/**
 * Helpers for the HTTP / auth / config security tests (test/security/http-*.test.ts,
 * config-secrets.test.ts): JSON calls against a real node, guest players, a strong admin token.
 */
import { startTestNode, type TestNode } from "./rooms.ts";

/** 32+ characters, no placeholder look: what a real deploy would set. */
export const ADMIN_TOKEN = "sec-admin-Q7w2Lp9Xz4Rk8Nv3Bt6Hy1Jd5";
export const JWT_SECRET = "sec-jwt-V3n8Kq2Wz7Lp4Rx9Tb6Hm1Jc5Gd0Fs";

export interface Json { [k: string]: any } // eslint-disable-line @typescript-eslint/no-explicit-any
export interface Reply { status: number; body: Json; text: string; headers: Headers }

/** One HTTP call; `body` is sent as JSON unless `raw` gives the bytes (and headers say what they are). */
export async function call(base: string, method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: Uint8Array<ArrayBuffer> | string } = {}): Promise<Reply> {
  const { body, token, headers = {}, raw } = options;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof raw === "string" ? raw : raw ? new Uint8Array(raw) : body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed: Json = {};
  try { parsed = text ? (JSON.parse(text) as Json) : {}; } catch { /* not JSON: the assertions look at `text` */ }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export const errorCode = (r: Reply): string | undefined => r.body.error?.code as string | undefined;

/** A new guest through the real route. */
export async function guest(base: string, deviceId?: string): Promise<{ playerId: string; token: string; refreshToken: string; name: string }> {
  const r = await call(base, "POST", "/v1/auth/guest", { body: deviceId ? { deviceId } : {} });
  if (r.status !== 200) throw new Error(`guest: ${r.status} ${r.text}`);
  return r.body as { playerId: string; token: string; refreshToken: string; name: string };
}

/** A real node with a strong JWT secret and admin token, generous per-address limits unless `env` says otherwise. */
export function startSecurityNode(env: Record<string, string> = {}): Promise<TestNode> {
  return startTestNode({ JWT_SECRET, ADMIN_TOKEN, AUTH_RATE_PER_MIN: "10000", API_RATE_PER_MIN: "10000", ...env });
}
