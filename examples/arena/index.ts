/**
 * The example game `arena`: its room and its queue modes, declared with `defineGame` as a studio declares
 * its own. `npm start` serves it (examples/arena/main.ts); examples/arena/client.ts is its browser client.
 */
import { defineGame } from "rally/server";
import { ArenaRoom } from "./arena-room.ts";

export { ArenaRoom } from "./arena-room.ts";
export { ArenaSimulation } from "./simulation.ts";
export { ArenaState, ArenaPlayer, ArenaBullet } from "./state.ts";
export { ARENA, type ArenaInput } from "./constants.ts";
export { arenaInputSchema } from "./protocol.ts";

export const arenaModes = {
  // Ranked 2v2: bots take the empty seats after a minute of waiting, down to two humans. A player who
  // leaves for good in the first 90 s of a match (of at most 180 s) is replaced from the queue.
  arena: { teams: 2, teamSize: 2, bots: { afterS: 60 }, minPlayers: 2, readyCheck: { timeoutS: 15 }, backfill: { untilS: 90 } },
  // The team mode: five a side, humans only; leavers replaced during the first two minutes.
  "5v5": { teams: 2, teamSize: 5, readyCheck: { timeoutS: 15 }, backfill: { untilS: 120 } },
};

export const arenaGame = defineGame({ room: ArenaRoom, modes: arenaModes });
