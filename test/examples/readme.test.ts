/**
 * The README's game code is taken from the examples, never retyped: every code block the README marks
 * with `<!-- example: <path> -->` (the line before its fence) must appear verbatim in that file, and
 * one marked `<!-- example-file: <path> -->` must be the whole file. The examples themselves are
 * typechecked (tsconfig `include`) and played by the tests next to this one, so the README cannot
 * drift from code that compiles and runs.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support/processes.ts";

interface MarkedBlock {
  readonly kind: "example" | "example-file";
  readonly path: string;
  readonly code: string;
  readonly line: number;
}

/** Marked blocks of a markdown text: the marker line, then a fence, then the code up to the closing fence. */
function markedBlocks(markdown: string): MarkedBlock[] {
  const lines = markdown.split("\n");
  const blocks: MarkedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = /^<!-- (example|example-file): (\S+) -->$/.exec(lines[i]!);
    if (!marker) continue;
    const fence = /^(```+)\w*$/.exec(lines[i + 1] ?? "");
    assert.ok(fence, `README.md:${i + 1}: a marker must be followed by a code fence`);
    const end = lines.findIndex((l, j) => j > i + 1 && l === fence[1]);
    assert.ok(end > 0, `README.md:${i + 2}: unclosed code fence`);
    blocks.push({ kind: marker[1] as MarkedBlock["kind"], path: marker[2]!, code: lines.slice(i + 2, end).join("\n"), line: i + 1 });
    i = end;
  }
  return blocks;
}

describe("README code blocks come from the examples", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const blocks = markedBlocks(readme);

  it("the README marks its game code (the one-file game, the room, its registration and boot)", () => {
    const paths = new Set(blocks.map((b) => b.path));
    for (const path of ["examples/tap/tap.ts", "examples/arena/arena-room.ts", "examples/arena/index.ts", "examples/arena/main.ts"]) {
      assert.ok(paths.has(path), `README.md has no block marked from ${path}`);
    }
    assert.ok(blocks.some((b) => b.kind === "example-file" && b.path === "examples/tap/tap.ts"), "\"Your first game in one file\" shows the whole file");
  });

  for (const block of blocks) {
    it(`README.md:${block.line} is ${block.kind === "example-file" ? "all of" : "taken from"} ${block.path}`, () => {
      const source = readFileSync(join(repoRoot, block.path), "utf8");
      if (block.kind === "example-file") assert.equal(`${block.code}\n`, source, `README.md:${block.line} differs from ${block.path}`);
      else assert.ok(source.includes(block.code), `README.md:${block.line}: this block is not in ${block.path} verbatim:\n${block.code}`);
    });
  }

  it("the marker parser finds blocks and their paths", () => {
    const md = ["text", "<!-- example: a.ts -->", "```ts", "const x = 1;", "```", "", "<!-- example-file: b.ts -->", "```ts", "b", "```"].join("\n");
    assert.deepEqual(markedBlocks(md), [
      { kind: "example", path: "a.ts", code: "const x = 1;", line: 2 },
      { kind: "example-file", path: "b.ts", code: "b", line: 7 },
    ]);
  });
});
