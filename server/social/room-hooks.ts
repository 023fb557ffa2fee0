/**
 * Presence from room events, for rooms that do not call `PlayerPresence` themselves: a player who
 * joins a match room is "in match" (with the mode), one who joins the queue is "in queue"; leaving
 * clears it (only while it is still that activity, so a queue left after the match began does not
 * undo "in match"). Uses Colyseus' handler events, so the rooms stay unaware of the social service.
 */
import type { Client, RegisteredHandler, Room } from "@colyseus/core";
import type { PresenceActivity, PresenceService } from "./presence.ts";

type ModeOf = (room: Room, client: Client) => string | null;

const playerOf = (client: Client) => (client.auth as { playerId?: unknown } | undefined)?.playerId;

/** The mode a room lists (match rooms put it in their metadata), else the room name. */
export const listedMode: ModeOf = (room) => {
  const mode = (room.metadata as { mode?: unknown } | undefined)?.mode;
  return typeof mode === "string" ? mode : room.roomName;
};

/** The queue room's join mode, which the queue room puts in `client.userData.queueMode` at join. */
export const queueMode: ModeOf = (_room, client) => {
  const mode = (client.userData as { queueMode?: unknown } | undefined)?.queueMode;
  return typeof mode === "string" ? mode : null;
};

export function trackPresence(handler: RegisteredHandler, presence: PresenceService, status: PresenceActivity["status"], modeOf: ModeOf, onError: (err: unknown) => void): RegisteredHandler {
  return handler
    .on("join", (room, client) => {
      const playerId = playerOf(client);
      if (typeof playerId !== "string") return;
      presence.set(playerId, { status, mode: modeOf(room, client), roomId: room.roomId }).catch(onError);
    })
    .on("leave", (_room, client) => {
      const playerId = playerOf(client);
      if (typeof playerId === "string") presence.clearIf(playerId, status).catch(onError);
    });
}
