/**
 * The server half of the refusal pair: a room (or placement) refuses with `encodeRefusal(code,
 * message)`, a Colyseus ServerError carrying the catalog's Colyseus code and the refusal text that
 * `decodeRefusal` (./errors.ts) reads back on the client, in the HTTP edge and in the matcher.
 *
 * Kept out of ./index.ts because it imports @colyseus/core: the browser SDK imports ./index.ts only.
 * A ServerError (not a plain Error) also keeps Colyseus from logging an expected refusal as a crash.
 */
import { ServerError } from "@colyseus/core";
import { closeCodeOf, codeOf, decodeRefusal, ERRORS, RallyError, refusalText, type ErrorCode } from "./errors.ts";

export function encodeRefusal(code: ErrorCode, message: string = ERRORS[code].message): ServerError {
  return new ServerError(closeCodeOf(code), refusalText(code, message));
}

/**
 * A caught failure as a refusal: a RallyError (or anything else carrying a catalog code) keeps its
 * code and message; anything else becomes `fallback` with the error's message. For hooks that call
 * services (token checks, budgets) and refuse with whatever those threw.
 */
export function refusalFrom(e: unknown, fallback: ErrorCode): ServerError {
  const code = codeOf(e, fallback);
  const message = e instanceof RallyError ? e.message : code === fallback ? (e instanceof Error ? e.message : undefined) : decodeRefusal(e).message;
  return encodeRefusal(code, message);
}
