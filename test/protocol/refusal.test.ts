/**
 * The one pair that writes and reads refusals: `encodeRefusal` (server) and `decodeRefusal` (server,
 * SDK, matcher, HTTP edge). Table tests: every catalog code survives the round trip, also as the text
 * alone (what crosses Colyseus' IPC) and through the SDK's error; anything else decodes as ROOM_ERROR.
 */
import assert from "node:assert/strict";
import { ServerError } from "@colyseus/core";
import { closeCodeOf, codeOf, decodeRefusal, ERRORS, ERROR_CODES, RallyError, refusalText, type ErrorCode } from "../../protocol/index.ts";
import { encodeRefusal, refusalFrom } from "../../protocol/server.ts";
import { toRoomError } from "../../client-sdk/errors.ts";

describe("protocol: encodeRefusal / decodeRefusal", () => {
  it("every catalog code round-trips with its message and carries the catalog's close code", () => {
    for (const code of ERROR_CODES) {
      const message = `why ${code} happened: "quotes", colons: and\nnew lines`;
      const err = encodeRefusal(code, message);
      assert.ok(err instanceof ServerError, code);
      assert.equal(err.code, closeCodeOf(code), `${code}: close code`);
      assert.deepEqual(decodeRefusal(err), { code, message }, code);
      // across processes Colyseus keeps the message alone (IPC), as a plain Error or a JSON object
      assert.deepEqual(decodeRefusal(new Error(err.message)), { code, message }, `${code}: plain Error`);
      assert.deepEqual(decodeRefusal({ code: err.code, message: err.message }), { code, message }, `${code}: IPC object`);
      assert.deepEqual(decodeRefusal(err.message), { code, message }, `${code}: text`);
      // the SDK's error for a refused join
      const sdk = toRoomError(Object.assign(new Error(err.message), { code: err.code }));
      assert.deepEqual([sdk.code, sdk.message, sdk.colyseusCode], [code, message, closeCodeOf(code)], `${code}: SDK`);
    }
  });

  it("without a message the refusal carries the catalog's", () => {
    assert.deepEqual(decodeRefusal(encodeRefusal("MATCH_OVER")), { code: "MATCH_OVER", message: ERRORS.MATCH_OVER.message });
    assert.equal(refusalText("NOT_READY"), `NOT_READY: ${ERRORS.NOT_READY.message}`);
  });

  const cases: ReadonlyArray<[string, unknown, { code: ErrorCode; message: string }]> = [
    ["a RallyError", new RallyError("PARTY_FULL", "full"), { code: "PARTY_FULL", message: "full" }],
    ["a room `error` message payload", { code: "UNKNOWN_MESSAGE", message: "no such type" }, { code: "UNKNOWN_MESSAGE", message: "no such type" }],
    ["a payload with a code and no message", { code: "MM_ERROR" }, { code: "MM_ERROR", message: ERRORS.MM_ERROR.message }],
    ["a Colyseus refusal without a Rally code", new ServerError(524, "seat reservation expired."), { code: "ROOM_ERROR", message: "seat reservation expired." }],
    ["a code the catalog does not know", new Error("SOMETHING_NEW: from a newer server"), { code: "ROOM_ERROR", message: "SOMETHING_NEW: from a newer server" }],
    ["lower-case text", "auth_invalid_token: no", { code: "ROOM_ERROR", message: "auth_invalid_token: no" }],
    ["a code without the separator", "AUTH_INVALID_TOKEN", { code: "ROOM_ERROR", message: "AUTH_INVALID_TOKEN" }],
    ["an empty string", "", { code: "ROOM_ERROR", message: "" }],
    ["undefined", undefined, { code: "ROOM_ERROR", message: ERRORS.ROOM_ERROR.message }],
    ["null", null, { code: "ROOM_ERROR", message: ERRORS.ROOM_ERROR.message }],
    ["a number", 42, { code: "ROOM_ERROR", message: "42" }],
    ["an object without code or message", { foo: 1 }, { code: "ROOM_ERROR", message: ERRORS.ROOM_ERROR.message }],
    ["a numeric code alone", { code: 503 }, { code: "ROOM_ERROR", message: ERRORS.ROOM_ERROR.message }],
    ["an inherited property name as a code", { code: "toString", message: "x" }, { code: "ROOM_ERROR", message: "x" }],
  ];
  for (const [name, input, want] of cases) {
    it(`decodes ${name}`, () => assert.deepEqual(decodeRefusal(input), want));
  }

  it("codeOf and refusalFrom keep a caught error's code, or fall back", () => {
    assert.equal(codeOf(new RallyError("PLAYER_BANNED"), "AUTH_INVALID_TOKEN"), "PLAYER_BANNED");
    assert.equal(codeOf(new Error("boom"), "AUTH_INVALID_TOKEN"), "AUTH_INVALID_TOKEN");
    assert.deepEqual(decodeRefusal(refusalFrom(new RallyError("RATE_LIMITED", "slow"), "INTERNAL")), { code: "RATE_LIMITED", message: "slow" });
    assert.deepEqual(decodeRefusal(refusalFrom(new Error("boom"), "AUTH_INVALID_TOKEN")), { code: "AUTH_INVALID_TOKEN", message: "boom" });
    assert.equal(refusalFrom(new RallyError("AUTH_EXPIRED_TOKEN"), "INTERNAL").code, 525);
  });

  it("RallyError takes its status from the catalog and keeps details and cause", () => {
    const cause = new Error("db down");
    const e = new RallyError("RATE_LIMITED", "wait", { retryAfterS: 3, cause });
    assert.equal(e.status, 429);
    assert.equal(e.details.retryAfterS, 3);
    assert.equal(e.cause, cause);
    assert.deepEqual(e.toBody(), { error: { code: "RATE_LIMITED", message: "wait" } });
  });
});
