export { ArenaRoom } from "./arena-room.ts";
export { ArenaSimulation } from "./simulation.ts";
export { ArenaState, ArenaPlayer, ArenaBullet } from "./state.ts";
export { ARENA, type ArenaInput } from "./constants.ts";
export { arenaInputSchema } from "./protocol.ts";
