/**
 * `npm start` (and every node the pool manager, the load tools or Docker start): one Rally node serving
 * the arena example, booted exactly as a studio boots its own game (examples/arena/main.ts, `startRally`
 * from rally/server). Config comes only from the environment (see server/config.ts); a bad setting,
 * game or mode, or a busy port, prints one line and exits 1.
 */
import "../examples/arena/main.ts";
