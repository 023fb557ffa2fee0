/**
 * `lobby`: Colyseus' LobbyRoom with bounded replies. Colyseus answers every `filter` with the whole
 * room list; here one listing (`rooms`) carries at most `maxListed` rooms (the newest listings first
 * are not promised: the first `maxListed` that match), and a filter must be a small object
 * (`{ name?, metadata? }` of strings, numbers, booleans), else it matches nothing. The message limit
 * (rooms/guard.ts) bounds how often a client may ask.
 */
import { LobbyRoom } from "@colyseus/core";
import { z } from "zod";

const scalar = z.union([z.string().max(64), z.number(), z.boolean(), z.null()]);
export const lobbyFilterSchema = z.object({
  name: z.string().max(64).optional(),
  metadata: z.record(z.string().max(32), scalar).refine((m) => Object.keys(m).length <= 8, "at most 8 metadata fields").optional(),
}).strict();

type Listing = LobbyRoom["rooms"][number];

export function boundedLobby(maxListed: number): typeof LobbyRoom {
  return class BoundedLobbyRoom extends LobbyRoom {
    protected override filterItemsForClient(options: { filter?: unknown }): Listing[] {
      if (options.filter === undefined || options.filter === null) return this.rooms.slice(0, maxListed);
      const parsed = lobbyFilterSchema.safeParse(options.filter);
      if (!parsed.success) return [];
      const out: Listing[] = [];
      for (const room of this.rooms) {
        if (this.filterItemForClient(room, parsed.data)) out.push(room);
        if (out.length >= maxListed) break;
      }
      return out;
    }
  };
}
