/**
 * `npm start`: one Rally node running the arena example, the same way a studio's own entry file runs
 * its games (`startRally` from rally/server). Config comes only from the environment (server/config.ts);
 * a bad setting, game or mode, or a busy port, prints one line and exits 1.
 */
import { startRally } from "./index.ts";
import { arenaGame } from "../rooms/arena/game.ts";

await startRally({ games: { arena: arenaGame } });
