/**
 * `npm run codegen:csharp`: C# state classes for the Colyseus Unity SDK, generated from the rooms'
 * schemas by `@colyseus/schema`'s own codegen (`schema-codegen --csharp`), into `client-sdk/unity/State/`.
 * The output is committed; test/client-sdk/unity.test.ts regenerates into a temp dir and fails when the
 * committed files differ, so they never go stale. `--output <dir>` writes elsewhere (the test uses it).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Every room state a client decodes: the arena match and the relay/custom-game rooms. */
export const SCHEMA_SOURCES: readonly string[] = ["examples/arena/state.ts", "rooms/social/peer-room.ts"];
export const CSHARP_NAMESPACE = "Rally.State";
export const STATE_DIR = join(repoRoot, "client-sdk/unity/State");

/** Runs the codegen into `outDir` (its old `.cs` files removed first) and returns the written file names, sorted. */
export function generateCsharp(outDir: string = STATE_DIR): string[] {
  mkdirSync(outDir, { recursive: true });
  // A schema removed from the rooms must not leave its class behind.
  for (const f of readdirSync(outDir)) if (f.endsWith(".cs")) rmSync(join(outDir, f));
  const bin = join(repoRoot, "node_modules/@colyseus/schema/bin/schema-codegen");
  const run = spawnSync(process.execPath, [
    bin, ...SCHEMA_SOURCES.map((s) => join(repoRoot, s)),
    "--csharp", "--namespace", CSHARP_NAMESPACE, "--output", outDir,
  ], { cwd: repoRoot, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`schema-codegen failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  // The codegen also emits plain TypeScript interfaces it meets in the sources' imports (message
  // payloads such as ChatSendMessage), as invalid C#: only Schema classes are room state.
  for (const f of readdirSync(outDir)) {
    if (f.endsWith(".cs") && !/class \w+ : [\w.:]*\bSchema\b/.test(readFileSync(join(outDir, f), "utf8"))) rmSync(join(outDir, f));
  }
  return readdirSync(outDir).filter((f) => f.endsWith(".cs")).sort();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--output");
  const out = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]!) : STATE_DIR;
  const files = generateCsharp(out);
  console.log(`generated ${files.length} C# classes into ${out}: ${files.join(", ")}`);
}
