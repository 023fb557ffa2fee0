/**
 * CORS from the CORS_ORIGINS allow-list, for Colyseus' matchmaking routes and `/v1` alike.
 * Colyseus 0.18 answers every request with `DEFAULT_CORS_HEADERS` (Allow-Origin `*`, credentials
 * true) merged with `controller.getCorsHeaders(headers)`, which by default reflects any Origin.
 * `applyCorsPolicy` replaces both: an allowed origin is echoed (with `Vary: Origin`), anything
 * else gets no Allow-Origin at all, so the browser refuses the cross-origin read. `*` in the list
 * allows any origin without credentials.
 */
import { matchMaker } from "@colyseus/core";

export function corsHeadersFor(origin: string | null, allowList: readonly string[]): Record<string, string> {
  const base = {
    "Access-Control-Allow-Headers": "Content-Type, Authorization",
    "Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE",
    "Access-Control-Max-Age": "600",
    "Vary": "Origin",
  };
  if (!origin) return base;
  if (allowList.includes(origin)) return { ...base, "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true" };
  if (allowList.includes("*")) return { ...base, "Access-Control-Allow-Origin": "*" };
  return base;
}

/** Installs the allow-list on Colyseus' controller (process-wide, like the matchmaker itself). */
export function applyCorsPolicy(allowList: readonly string[]): void {
  const controller = matchMaker.controller as unknown as { DEFAULT_CORS_HEADERS: Record<string, string>; getCorsHeaders(h: Headers): Record<string, string> };
  controller.DEFAULT_CORS_HEADERS = {};
  controller.getCorsHeaders = (headers: Headers) => corsHeadersFor(headers.get("origin"), allowList);
}
