/**
 * What every MatchRoom says to its clients, whatever the game: the `result`, `error` and `draining`
 * messages, and the read-only shape of a synced map. A game's client (e.g. examples/arena/client.ts)
 * builds its typed handle on these.
 */
import type { MatchResult } from "../rooms/services.ts";

export type { MatchResult };

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

/** The server's `error` message: a bad input or an unknown message type. Nothing was changed. */
export interface RoomMessageError {
  code: string;
  message: string;
}

export interface DrainingNotice {
  /** The node is shutting down; the match is cut off after at most this many seconds. */
  endsWithinS: number;
}
