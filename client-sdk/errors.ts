/**
 * Errors the SDK surfaces. HTTP errors keep the server's `{ error: { code, message } }` shape plus the
 * status; room refusals are decoded by the protocol's `decodeRefusal`, the same function the server
 * uses (protocol/errors.ts), so the SDK never parses refusal text itself.
 */
import { decodeRefusal, type ErrorCode } from "../protocol/errors.ts";

/**
 * Codes the SDK makes itself (no server said them): a network failure, an HTTP answer without a Rally
 * body (`HTTP_<status>`), a call that needs a connection first, a queue the caller aborted or whose
 * connection closed.
 */
export const SdkErrorCode = {
  NETWORK: "NETWORK",
  NOT_CONNECTED: "NOT_CONNECTED",
  MM_CANCELLED: "MM_CANCELLED",
  MM_QUEUE_CLOSED: "MM_QUEUE_CLOSED",
} as const;
export type SdkErrorCode = (typeof SdkErrorCode)[keyof typeof SdkErrorCode] | `HTTP_${number}`;

/** Every code an SDK error may carry: the server's catalog (protocol ERRORS) or the SDK's own. */
export type RallyErrorCode = ErrorCode | SdkErrorCode;

/** An HTTP call to `/v1` failed. `code` is the server's error code (e.g. `AUTH_EXPIRED_TOKEN`). */
export class RallyApiError extends Error {
  override readonly name = "RallyApiError";
  constructor(readonly code: RallyErrorCode, message: string, readonly status: number) {
    super(message);
  }
}

/** Joining or reconnecting to a room was refused. `colyseusCode` is Colyseus' numeric error code. */
export class RallyRoomError extends Error {
  override readonly name = "RallyRoomError";
  constructor(readonly code: RallyErrorCode, message: string, readonly colyseusCode: number) {
    super(message);
  }
}

/** A refused join (any Colyseus SDK error) as a RallyRoomError; one without a Rally code is ROOM_ERROR. */
export function toRoomError(e: unknown): RallyRoomError {
  if (e instanceof RallyRoomError) return e;
  const colyseusCode = typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "number" ? (e as { code: number }).code : 0;
  const { code, message } = decodeRefusal(e);
  return new RallyRoomError(code, message, colyseusCode);
}
