export { MatchRoom, MatchPhase, OPEN_ROOM_START_DELAY_MS, RoomErrorCode, bindRoom, requireToken, authenticate, matchmadeOptionsSchema, baseJoinOptionsSchema, type MatchPlayer, type MatchmadeOptions } from "./match-room.ts";
export { renewPatchMaps } from "./patch-maps.ts";
export * from "./services.ts";
export { guardRoom, playerIdOf, reconnectionOwner, ROOM_RECONNECT_REFUSED, ROOM_WRONG_NODE, PLACED_ON, type FrameWatch, type RoomGuardDeps } from "./guard.ts";
export { boundedLobby, lobbyFilterSchema } from "./lobby.ts";
