/**
 * What every MatchRoom says to its clients, whatever the game, as the SDK types it: the phases, the
 * `error` message (or the SDK's own room-level error), and the read-only shape of a synced map. The wire
 * contracts themselves (MatchResult, DrainingNotice, RoomErrorMessage) are protocol/'s, re-exported by
 * index.ts. A game's client (e.g. examples/arena/client.ts) builds its typed handle on these.
 */
import type { RoomErrorMessage } from "../protocol/index.ts";

/** The phases every MatchRoom goes through (rooms/match-room.ts `MatchPhase`). */
export type MatchPhase = "waiting" | "playing" | "ended";

/** Read-only view of a synced map (Colyseus' MapSchema on the client). */
export interface SyncedMap<V> extends Iterable<[string, V]> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  forEach(callback: (value: V, key: string) => void): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[string, V]>;
}

/**
 * The server's `error` message (protocol RoomErrorMessage: a bad input or an unknown message type;
 * nothing was changed), or the SDK's `ROOM_ERROR_<colyseus code>` for a room-level error.
 */
export interface RoomMessageError {
  code: RoomErrorMessage["code"] | `ROOM_ERROR_${number}`;
  message: string;
}
