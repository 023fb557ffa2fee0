/**
 * Asserting refusals by code: `await assert.rejects(join, refusedWith("MM_UNKNOWN_MODE"))`. The error
 * is decoded with the protocol's `decodeRefusal`, the same function the SDK uses, never matched as text.
 */
import assert from "node:assert/strict";
import { decodeRefusal, type ErrorCode } from "../../protocol/index.ts";

/** A validator for `assert.rejects`: the rejection decodes to one of `codes`. */
export function refusedWith(...codes: ErrorCode[]): (e: unknown) => true {
  return (e: unknown) => {
    const { code } = decodeRefusal(e);
    assert.ok(codes.includes(code), `expected ${codes.join(" or ")}, got ${code}: ${e instanceof Error ? e.message : String(e)}`);
    return true;
  };
}
