/**
 * `npm start` (server/main.ts imports this): one Rally node serving the arena example, booted the way a
 * studio boots its own game. Settings come only from the environment (server/config.ts); SIGTERM or
 * SIGINT drains the node, then it exits.
 */
import { ConfigError, GameConfigError, ListenError, createRally } from "rally/server";
import { arenaGame } from "./index.ts";

try {
  const rally = await createRally({ games: { arena: arenaGame }, handleSignals: true });
  await rally.listen();
} catch (e) {
  // What the operator must fix (a setting, a mode, a taken port) is one line and exit code 1; anything else is a bug: the full stack.
  if (e instanceof ConfigError || e instanceof GameConfigError || e instanceof ListenError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
