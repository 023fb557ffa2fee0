/**
 * The arena example as a Rally game: its room and its two queue modes (`npm start` boots it).
 * Until the examples move out of rooms/ this file imports the public server surface (a room itself never does).
 * `arena` is the ranked 2v2 (bots fill after 60 s, down to 2 humans), `5v5` the team mode.
 */
import { defineGame } from "../../server/index.ts";
import { ArenaRoom } from "./arena-room.ts";

export const arenaModes = {
  arena: { teams: 2, teamSize: 2, bots: { afterS: 60 }, minPlayers: 2, readyCheck: { timeoutS: 15 } },
  "5v5": { teams: 2, teamSize: 5, readyCheck: { timeoutS: 15 } },
};

export const arenaGame = defineGame({ room: ArenaRoom, modes: arenaModes });
