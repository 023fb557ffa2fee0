/** `npm start`: one Rally node running the arena example. Config comes only from the environment (see server/config.ts). */
import { ConfigError, GameConfigError, ListenError, createRally } from "./index.ts";
import { arenaGame } from "../rooms/arena/game.ts";

try {
  const rally = await createRally({ games: { arena: arenaGame }, handleSignals: true });
  await rally.listen();
} catch (e) {
  // One line and exit 1 for what the operator (or the studio) must fix; anything else is a bug: full stack.
  if (e instanceof ConfigError || e instanceof GameConfigError || e instanceof ListenError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
