export { MatchRoom, MatchPhase, OPEN_ROOM_START_DELAY_MS, bindRoom, requireToken, authenticate, matchmadeOptionsSchema, baseJoinOptionsSchema, type MatchPlayer, type MatchmadeOptions } from "./match-room.ts";
export { renewPatchMaps } from "./patch-maps.ts";
export * from "./services.ts";
export { guardRoom, playerIdOf, reconnectionOwner, PLACED_ON, type FrameWatch, type RoomGuardDeps } from "./guard.ts";
export { boundedLobby, lobbyFilterSchema } from "./lobby.ts";
