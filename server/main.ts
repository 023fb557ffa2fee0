/**
 * `npm start` (and every node the pool manager, the load tools or Docker start): one Rally node serving
 * the arena example, booted exactly as a studio boots its own game (examples/arena/main.ts: createRally,
 * signals, one-line errors). Config comes only from the environment (see server/config.ts).
 */
import "../examples/arena/main.ts";
