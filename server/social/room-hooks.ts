/**
 * Presence from room events, for rooms that do not call `PlayerPresence` themselves: a player who
 * joins a match room is "in match" (with the mode), one who joins the queue is "in queue"; leaving
 * clears it (only while it is still that activity, so a queue left after the match began does not
 * undo "in match"). Uses Colyseus' handler events, so the rooms stay unaware of the social service;
 * the node applies it through a room's `presence` trait (server/node/rooms.ts).
 */
import type { Client, RegisteredHandler, Room } from "@colyseus/core";
import type { PresenceActivity, PresenceService } from "./presence.ts";

export type ModeOf = (room: Room, client: Client) => string | null;

const playerOf = (client: Client) => (client.auth as { playerId?: unknown } | undefined)?.playerId;

/** The mode a room lists (match rooms put it in their metadata), else the room name. */
export const listedMode: ModeOf = (room) => {
  const mode = (room.metadata as { mode?: unknown } | undefined)?.mode;
  return typeof mode === "string" ? mode : room.roomName;
};

/** A room that knows each client's queue mode (the queue room, after the client's join went through). */
export interface QueueModeSource {
  queuedMode(client: Client): string | null;
}

/** The mode the queue room holds for this client's ticket, asked of the room itself. */
export const queueMode = (room: Room & QueueModeSource, client: Client): string | null => room.queuedMode(client);

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
