/**
 * The one way a room type reaches Colyseus on a Rally node: `registerRoom(name, RoomClass, traits)`.
 *
 * Every room, built-in or a studio's game, gets the same treatment, in the same order:
 * - auth: a class without its own static `onAuth` gets the access-token check (`requireToken`); a
 *   class with one (match rooms bound with `bindRoom`, the queue, social and peer rooms) keeps it.
 *   No room is registered without a token check.
 * - the room guard (rooms/guard.ts): message limit, reconnection bound to the seat's player,
 *   placement check, watched frame decoding, bounded join queue;
 * - metrics (room and client gauges from Colyseus' handler events);
 * - per-player seat and connection tracking (server/node/guard.ts `track`): a `local` room is never
 *   created by a client, a `onePerPlayer` room keeps only a player's newest connection;
 * - presence ("in_match" / "in_queue" with the mode) when the traits ask for it;
 * - match chat membership when the traits ask for it;
 * - locality: a `local` room is created on the node the player reached (placement's room-name check
 *   reads the traits), and joins find it there; a `placed` room goes where placement picks.
 */
import { Room, defineRoom, type Client, type RegisteredHandler } from "@colyseus/core";
import { guardRoom, requireToken, type RoomGuardDeps, type RoomObserver, type TokenVerifier } from "../../rooms/index.ts";
import type { PresenceActivity, PresenceService } from "../social/presence.ts";
import { trackPresence } from "../social/room-hooks.ts";
import { trackMatchChat, type ChatService } from "../chat/index.ts";
import type { PlayerGuard } from "./guard.ts";

export const RoomLocality = {
  /** Created on the node the player reached (queue, social): its joins filter on this node. */
  local: "local",
  /** Created where placement picks (region, load, draining); Colyseus routes joins to it. */
  placed: "placed",
} as const;
export type RoomLocality = (typeof RoomLocality)[keyof typeof RoomLocality];

export interface RoomPresenceTrait {
  readonly status: PresenceActivity["status"];
  /** The mode the player is in (or queueing for) in this room, read after its join. */
  modeOf(room: Room, client: Client): string | null;
}

export interface RoomTraits {
  readonly locality: RoomLocality;
  /** Presence while a player is in the room; none: the room's players keep whatever presence they had. */
  readonly presence?: RoomPresenceTrait;
  /**
   * Join options that pick a room (Colyseus' filterBy). For a `local` room a join that carries one of
   * them is not kept on this node: the value already gathers its players wherever they connect (a
   * party's shared queue room).
   */
  readonly filterBy?: readonly string[];
  /** Listed in the lobby with live updates (Colyseus' enableRealtimeListing). */
  readonly realtimeListing?: boolean;
  /** Members join the match chat channel (the room's `matchId` metadata). */
  readonly matchChat?: boolean;
  /** A player's newest connection replaces the older ones, on every node (the social line). */
  readonly onePerPlayer?: boolean;
}

export interface RoomRegistryDeps {
  readonly tokens: TokenVerifier;
  readonly guard: RoomGuardDeps;
  readonly observer: RoomObserver;
  readonly playerGuard: PlayerGuard;
  readonly presence: PresenceService;
  readonly chat: ChatService;
  readonly processId: () => string;
  readonly onError: (err: unknown, what: string) => void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Colyseus' own room constructor shape
export type RoomClass = new (...args: any[]) => Room;

export interface RoomRegistry {
  /** Registers `Klass` as `name` with every trait applied; a name registers once. */
  registerRoom(name: string, Klass: RoomClass, traits: RoomTraits): RegisteredHandler;
  /** The registered handlers, for defineServer. */
  readonly rooms: Readonly<Record<string, RegisteredHandler>>;
  /** The locality a room name was registered with (undefined: not registered). */
  localityOf(name: string): RoomLocality | undefined;
}

/** True when the class (or a Rally base) declares its own static onAuth, not Colyseus' no-op default. */
function hasOwnAuth(Klass: RoomClass): boolean {
  return (Klass as unknown as { onAuth?: unknown }).onAuth !== (Room as unknown as { onAuth?: unknown }).onAuth;
}

export function createRoomRegistry(deps: RoomRegistryDeps): RoomRegistry {
  const rooms: Record<string, RegisteredHandler> = {};
  const localities = new Map<string, RoomLocality>();
  return {
    rooms,
    localityOf: (name) => localities.get(name),
    registerRoom(name, Klass, traits) {
      if (rooms[name]) throw new Error(`room "${name}" is registered twice`);
      const authed = hasOwnAuth(Klass) ? Klass : requireToken(Klass, { tokens: deps.tokens });
      let handler: RegisteredHandler = defineRoom(guardRoom(authed, deps.guard));
      if (traits.filterBy?.length) handler = handler.filterBy([...traits.filterBy]);
      if (traits.realtimeListing) handler = handler.enableRealtimeListing();
      if (traits.locality === RoomLocality.local) keepLocal(handler, traits.filterBy ?? [], deps.processId);
      if (traits.presence) handler = trackPresence(handler, deps.presence, traits.presence.status, traits.presence.modeOf, (err) => deps.onError(err, "presence update"));
      if (traits.matchChat) handler = trackMatchChat(handler, deps.chat, (err) => deps.onError(err, "match chat membership"));
      handler = observe(name, handler, deps.observer);
      handler = deps.playerGuard.track(name, handler, { local: traits.locality === RoomLocality.local, onePerPlayer: traits.onePerPlayer });
      rooms[name] = handler;
      localities.set(name, traits.locality);
      return handler;
    },
  };
}

/**
 * A local room's joins filter on this node's process id (kept in the room's metadata, which Colyseus
 * fills from the filter at creation), unless the join carries one of the room's filterBy values: those
 * gather their players in one room wherever they connect (a party's queue room).
 */
function keepLocal(handler: RegisteredHandler, gatheredBy: readonly string[], processId: () => string): void {
  const base = handler.getFilterOptions.bind(handler);
  handler.getFilterOptions = (options: Record<string, unknown>) => {
    const filter = base(options);
    const gathered = gatheredBy.some((key) => options?.[key] !== undefined);
    return gathered ? filter : { ...filter, node: processId() };
  };
}

/** Room and client gauges from Colyseus' process-local handler events, for every room type alike. */
function observe(name: string, handler: RegisteredHandler, observer: RoomObserver): RegisteredHandler {
  return handler
    .on("create", () => observer.roomCreated(name))
    .on("dispose", () => observer.roomDisposed(name))
    .on("join", () => observer.clientJoined(name))
    .on("leave", () => observer.clientLeft(name));
}
