/**
 * The example game `arena`: the room, its rules and its queue modes. `npm start` serves it
 * (examples/arena/main.ts); a studio's own game has the same shape in its own folder.
 */
import { defineModes, type QueueModes } from "../../matchmaker/index.ts";

export { ArenaRoom } from "./arena-room.ts";
export { ArenaSimulation } from "./simulation.ts";
export { ArenaState, ArenaPlayer, ArenaBullet } from "./state.ts";
export { ARENA, type ArenaInput } from "./constants.ts";
export { arenaInputSchema } from "./protocol.ts";

/** The arena's queue modes: `arena` is the ranked 2v2 (bots fill after a minute), `5v5` the team mode. */
export const arenaModes = defineModes({
  arena: { teams: 2, teamSize: 2, bots: { afterS: 60 }, minPlayers: 2, readyCheck: { timeoutS: 15 } },
  "5v5": { teams: 2, teamSize: 5, readyCheck: { timeoutS: 15 } },
});

/** Both modes play in the `arena` room. */
export const arenaQueueModes: QueueModes = {
  arena: { rules: arenaModes.arena, room: "arena" },
  "5v5": { rules: arenaModes["5v5"], room: "arena" },
};
