/**
 * `npm start` (server/main.ts imports this): one Rally node serving the arena example, booted the way a
 * studio boots its own game. `startRally` is `createRally` + `listen` with SIGTERM/SIGINT draining the
 * node, and a bad setting, game or mode, or a busy port, printed as one line with exit code 1.
 * Settings come only from the environment (server/config.ts).
 */
import { startRally } from "rally/server";
import { arenaGame } from "./index.ts";

await startRally({ games: { arena: arenaGame } });
