/**
 * The error catalog is complete and documented: every code in `ERRORS` is a row of README.md's
 * "Error codes" table with the same HTTP status and close code, and every row is a code of the
 * catalog. The Colyseus codes the catalog copies are Colyseus' own.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode as ColyseusCodes } from "@colyseus/core";
import { ColyseusErrorCode, ERRORS, ERROR_CODES, closeCodeOf, isErrorCode, QueueCancelReason } from "../../protocol/index.ts";
import { repoRoot } from "../support/processes.ts";

interface Row { readonly code: string; readonly status: number; readonly closeCode: number }

/** The rows of the README's "Error codes" table. */
function readmeRows(): Row[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf("### Error codes");
  assert.ok(start >= 0, "README.md has an \"Error codes\" section");
  const section = readme.slice(start, readme.indexOf("\n#", start + 1));
  const rows: Row[] = [];
  for (const line of section.split("\n")) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| (\d{3}) \| (\d{3,4}) \| .+ \|$/.exec(line);
    if (m) rows.push({ code: m[1]!, status: Number(m[2]), closeCode: Number(m[3]) });
  }
  return rows;
}

describe("protocol: the error catalog", () => {
  it("every catalog code is in README.md's table with its HTTP status and close code, and every row is a catalog code", () => {
    const rows = readmeRows();
    const documented = new Map(rows.map((r) => [r.code, r]));
    assert.equal(documented.size, rows.length, "no code is listed twice");
    const missing = ERROR_CODES.filter((c) => !documented.has(c));
    assert.deepEqual(missing, [], "catalog codes missing from the README table");
    const unknown = rows.filter((r) => !isErrorCode(r.code)).map((r) => r.code);
    assert.deepEqual(unknown, [], "README rows that are not catalog codes");
    for (const code of ERROR_CODES) {
      const row = documented.get(code)!;
      assert.equal(row.status, ERRORS[code].status, `${code}: HTTP status`);
      assert.equal(row.closeCode, closeCodeOf(code), `${code}: close code`);
    }
  });

  it("every entry has an HTTP status, a message and a close code Colyseus or HTTP knows", () => {
    for (const code of ERROR_CODES) {
      const { status, message } = ERRORS[code];
      assert.ok(status >= 400 && status <= 599, `${code}: status ${status}`);
      assert.ok(message.length > 0, `${code}: message`);
      assert.ok(Object.values(ColyseusErrorCode).includes(closeCodeOf(code) as never) || (closeCodeOf(code) >= 400 && closeCodeOf(code) <= 599), `${code}: close code`);
    }
  });

  it("the Colyseus codes it copies are @colyseus/core's", () => {
    for (const [name, value] of Object.entries(ColyseusErrorCode)) {
      assert.equal((ColyseusCodes as Record<string, number>)[name], value, name);
    }
  });

  it("every queue cancel reason is a catalog code", () => {
    for (const reason of Object.values(QueueCancelReason)) assert.ok(isErrorCode(reason), reason);
  });
});
