/**
 * A game in its own folder outside this repo depends on Rally and never edits Rally's files: a temp
 * folder with a package.json that depends on `rally` by path (`file:`), `npm install --offline`, the
 * tap example copied in, run with Node 22 and tsx, one duel played with official SDK clients.
 *
 * `@colyseus/schema`, which the game imports itself (zod comes from `rally/server`), is linked from this
 * repo's node_modules (`file:` too), because the test machine has no registry; a studio installs the
 * version Rally's package.json names (a separate copy of that same version also played a duel when
 * checked by hand with a copied folder).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, lstatSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, tempDir } from "../../support/processes.ts";
import { playTapDuel, startGameProcess, type GameProcess } from "./duel.ts";

describe("examples/tap outside the repo: a studio's folder that depends on rally", function () {
  this.timeout(90_000);
  let dir: string;
  let game: GameProcess | undefined;
  after(async () => {
    await game?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("npm install <path to rally>, then tap.ts boots from rally/server and plays a duel", async () => {
    dir = tempDir("rally-studio-");
    writeFileSync(join(dir, "package.json"), JSON.stringify({
      name: "my-tap-game", private: true, type: "module",
      dependencies: {
        rally: `file:${repoRoot}`,
        "@colyseus/schema": `file:${join(repoRoot, "node_modules/@colyseus/schema")}`,
      },
    }, null, 2));
    copyFileSync(join(repoRoot, "examples/tap/tap.ts"), join(dir, "tap.ts"));
    const install = spawnSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    assert.equal(install.status, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
    // A directory dependency is a link to the repo itself, not a copy.
    assert.ok(lstatSync(join(dir, "node_modules/rally")).isSymbolicLink());
    assert.equal(realpathSync(join(dir, "node_modules/rally")), realpathSync(repoRoot));

    game = await startGameProcess(join(dir, "tap.ts"), dir);
    await playTapDuel(game.url);
  });
});
