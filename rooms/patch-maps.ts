/**
 * Keeps the Maps Colyseus empties on every patch young, so a long-running room stays cheap for the GC.
 *
 * Why: per patch, Colyseus 0.18 fills and then `clear()`s a few long-lived Maps: each client's
 * `StateView.changes` and the serializer's per-view patch cache (`encodedViews`, which holds every
 * client's patch bytes). V8's `Map.prototype.clear()` allocates the replacement table in the old
 * generation whenever the current one is there, and a dead old table keeps whatever it held alive
 * through every scavenge until the next full GC. A room gets there after its first full GC, or after
 * a second or two without patches (a match waiting to start); from then on all its patch bytes are
 * promoted: `npm run bench:rooms` measured 0.8 MB promoted per scavenge against 0.14 without, and a
 * plain Colyseus room stays in that state for the rest of the process' life.
 *
 * The fix: after each patch, an emptied Map is swapped for a new one (allocated young, dies young).
 * Only empty Maps are swapped, so nothing Colyseus still needs is dropped; a Colyseus version whose
 * internals differ makes this a no-op, never an error (test/rooms/patch-maps.test.ts notices).
 */
import type { Room } from "@colyseus/core";

interface SerializerMaps {
  encodedViews?: unknown;
  encodedUnreliableViews?: unknown;
}

/** After `broadcastPatch()`: fresh Maps for the views and the serializer's per-view caches. Returns how many were swapped. */
export function renewPatchMaps(room: Room): number {
  let swapped = 0;
  for (const client of room.clients) {
    const view = client.view as { changes?: unknown } | undefined;
    if (view && view.changes instanceof Map && view.changes.size === 0) {
      view.changes = new Map();
      swapped++;
    }
  }
  // Private in Colyseus' typings; read defensively.
  const serializer = (room as unknown as { _serializer?: SerializerMaps })._serializer;
  if (serializer) {
    if (serializer.encodedViews instanceof Map && serializer.encodedViews.size === 0) {
      serializer.encodedViews = new Map();
      swapped++;
    }
    if (serializer.encodedUnreliableViews instanceof Map && serializer.encodedUnreliableViews.size === 0) {
      serializer.encodedUnreliableViews = new Map();
      swapped++;
    }
  }
  return swapped;
}
