/**
 * examples/tap/tap.ts, "your first game in one file", runs as it is (`node --import tsx tap.ts`) and
 * plays one duel with official SDK clients: queue, seat, taps, result, match history.
 */
import { join } from "node:path";
import { repoRoot } from "../../support/processes.ts";
import { playTapDuel, startGameProcess, type GameProcess } from "./duel.ts";

describe("examples/tap: the one-file game", function () {
  this.timeout(60_000);
  let game: GameProcess | undefined;
  after(async () => { await game?.stop(); });

  it("boots with createRally from rally/server and plays a duel to a stored result", async () => {
    game = await startGameProcess(join(repoRoot, "examples/tap/tap.ts"), repoRoot);
    await playTapDuel(game.url);
  });
});
