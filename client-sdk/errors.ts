/**
 * Errors the SDK surfaces. HTTP errors keep the server's `{ error: { code, message } }` shape plus the
 * status; room refusals arrive from Colyseus as `CODE: message` and are split back into a code.
 */

/** An HTTP call to `/v1` failed. `code` is the server's error code (e.g. `AUTH_EXPIRED_TOKEN`). */
export class RallyApiError extends Error {
  override readonly name = "RallyApiError";
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

/** Joining or reconnecting to a room was refused. `colyseusCode` is Colyseus' numeric error code. */
export class RallyRoomError extends Error {
  override readonly name = "RallyRoomError";
  constructor(readonly code: string, message: string, readonly colyseusCode: number) {
    super(message);
  }
}

/** Rally rooms refuse with `CODE: message` (see rooms/match-room.ts); anything else keeps a generic code. */
export function toRoomError(e: unknown): RallyRoomError {
  if (e instanceof RallyRoomError) return e;
  const raw = e instanceof Error ? e.message : String(e);
  const colyseusCode = typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "number" ? (e as { code: number }).code : 0;
  const match = /^([A-Z][A-Z0-9_]+): (.*)$/s.exec(raw);
  return match ? new RallyRoomError(match[1]!, match[2]!, colyseusCode) : new RallyRoomError("ROOM_ERROR", raw, colyseusCode);
}
