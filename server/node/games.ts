/**
 * A studio's games: `defineGame({ room, modes })` per game, keyed by room name, checked once at start.
 *
 * A game key is the name its room is registered under; mode names are global (a player queues for
 * `duel`, not `tap/duel`). Rally has no built-in game modes: the queue offers exactly the modes of the
 * games passed to `createRally`, so nothing is added or dropped behind the studio's back.
 *
 * Everything a start can know is refused at start, with one line naming the mode or game
 * (`GameConfigError`): a mode whose room no game defines, a team layout its room cannot seat, one
 * rules object under two mode names, a mode name two games define, a game named like a built-in room.
 * Left to run, each of these started fine and kept players searching forever.
 */
import { MatchRoom } from "../../rooms/index.ts";
import { parseModeRules, RulesError, type ModeRulesInput, type QueueModes } from "../../matchmaker/index.ts";

/**
 * One queue mode of a game: the matchmaking rules (matchmaker/rules.ts) without the name, which is
 * the mode's key. Every field but `teams` and `teamSize` has a default.
 */
export type ModeSpec = Omit<ModeRulesInput, "name">;

/** A concrete MatchRoom subclass (the game's room). */
export type MatchRoomClass = new () => MatchRoom;

export interface GameDefinition {
  /** The game's room; registered under the game's key. */
  readonly room: MatchRoomClass;
  /** Queue modes that create matches in this room, by global mode name. None: open games only (joinOrCreate). */
  readonly modes: Readonly<Record<string, ModeSpec>>;
}

/** The games of one node, by room name. */
export type Games = Readonly<Record<string, GameDefinition>>;

/** Declares a game: its MatchRoom class and the queue modes played in it. */
export function defineGame(game: { room: MatchRoomClass; modes?: Readonly<Record<string, ModeSpec>> }): GameDefinition {
  return { room: game.room, modes: game.modes ?? {} };
}

/** Room names Rally registers itself; a game cannot take them. */
export const BUILT_IN_ROOMS = ["queue", "lobby", "relay", "social", "custom"] as const;

const ROOM_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,31}$/;

export const GameConfigErrorCode = {
  /** A game key is a built-in room's name or not a valid room name. */
  GAME_BAD_NAME: "GAME_BAD_NAME",
  /** A game's room is not a MatchRoom class. */
  GAME_BAD_ROOM: "GAME_BAD_ROOM",
  /** A mode's rules do not parse (matchmaker/rules.ts). */
  MODE_INVALID_RULES: "MODE_INVALID_RULES",
  /** A mode names a room no game defines. */
  MODE_UNKNOWN_ROOM: "MODE_UNKNOWN_ROOM",
  /** A mode's teams cannot be seated by its room (team count, players). */
  MODE_UNSEATABLE: "MODE_UNSEATABLE",
  /** One rules object given under two mode names. */
  MODE_SHARED_RULES: "MODE_SHARED_RULES",
  /** Two games define the same mode name. */
  MODE_DUPLICATE: "MODE_DUPLICATE",
} as const;
export type GameConfigErrorCode = (typeof GameConfigErrorCode)[keyof typeof GameConfigErrorCode];

/** A game or mode that cannot run; `npm start` prints the message (one line) and exits 1. */
export class GameConfigError extends Error {
  override readonly name = "GameConfigError";
  constructor(readonly code: GameConfigErrorCode, message: string) {
    super(message);
  }
}

/** What a room class can seat: its team count and most players (MatchRoom's `teamCount`, `maxPlayers`). */
export interface Seating {
  readonly teams: number;
  readonly maxPlayers: number;
}

/** A mode as the check sees it: its parsed rules and the room it plays in. */
export type ModeTableEntry = QueueModes[string];

/**
 * Checks a mode table against the rooms that exist and what they seat. Exported for the table tests
 * and for callers that build `QueueModes` themselves; `gameModes` calls it.
 */
export function checkModes(modes: QueueModes, rooms: ReadonlyMap<string, Seating>): void {
  const seen = new Map<object, string>();
  for (const [name, mode] of Object.entries(modes)) {
    const rules = mode.rules;
    const first = seen.get(rules);
    if (first !== undefined) throw new GameConfigError(GameConfigErrorCode.MODE_SHARED_RULES, `mode "${name}": reuses the rules object of mode "${first}"; give each mode its own rules`);
    seen.set(rules, name);
    if (rules.name !== name) throw new GameConfigError(GameConfigErrorCode.MODE_SHARED_RULES, `mode "${name}": its rules are named "${rules.name}"; a mode's rules carry its own name`);
    const seating = rooms.get(mode.room);
    if (!seating) throw new GameConfigError(GameConfigErrorCode.MODE_UNKNOWN_ROOM, `mode "${name}": room "${mode.room}" is not defined by any game (games: ${[...rooms.keys()].join(", ") || "none"})`);
    if (rules.teams !== seating.teams) throw new GameConfigError(GameConfigErrorCode.MODE_UNSEATABLE, `mode "${name}": ${rules.teams} teams, but room "${mode.room}" plays with ${seating.teams}`);
    if (rules.matchSize > seating.maxPlayers) throw new GameConfigError(GameConfigErrorCode.MODE_UNSEATABLE, `mode "${name}": ${rules.teams}x${rules.teamSize} = ${rules.matchSize} players, but room "${mode.room}" seats at most ${seating.maxPlayers}`);
  }
}

/** Names of plain rooms registered next to the games (createRally `rooms`): not a game's, not a built-in's. */
export function checkRoomNames(games: Games, rooms: Iterable<string>): void {
  for (const name of rooms) {
    if (name in games || (BUILT_IN_ROOMS as readonly string[]).includes(name)) throw new GameConfigError(GameConfigErrorCode.GAME_BAD_NAME, `room "${name}": the name is taken by a game or a built-in room`);
    if (!ROOM_NAME.test(name)) throw new GameConfigError(GameConfigErrorCode.GAME_BAD_NAME, `room "${name}": letters, digits, '-', '_'; at most 32`);
  }
}

/**
 * Validates the games and returns the queue's mode table (mode name -> rules and room), or throws a
 * GameConfigError naming the first game or mode that cannot run.
 */
export function gameModes(games: Games): QueueModes {
  const rooms = new Map<string, Seating>();
  const specOwner = new Map<object, string>();
  const modeOwner = new Map<string, string>();
  const modes: Record<string, ModeTableEntry> = {};
  for (const [key, game] of Object.entries(games)) {
    if ((BUILT_IN_ROOMS as readonly string[]).includes(key)) throw new GameConfigError(GameConfigErrorCode.GAME_BAD_NAME, `game "${key}": the name is a built-in room (${BUILT_IN_ROOMS.join(", ")}); pick another`);
    if (!ROOM_NAME.test(key)) throw new GameConfigError(GameConfigErrorCode.GAME_BAD_NAME, `game "${key}": a game key is its room name (letters, digits, '-', '_'; at most 32)`);
    if (typeof game?.room !== "function" || !(game.room.prototype instanceof MatchRoom)) throw new GameConfigError(GameConfigErrorCode.GAME_BAD_ROOM, `game "${key}": room must be a class extending MatchRoom`);
    rooms.set(key, MatchRoom.seatingOf(game.room));
    for (const [name, spec] of Object.entries(game.modes)) {
      const owner = modeOwner.get(name);
      if (owner !== undefined) throw new GameConfigError(GameConfigErrorCode.MODE_DUPLICATE, `mode "${name}": defined by games "${owner}" and "${key}"; mode names are global`);
      modeOwner.set(name, key);
      const shared = specOwner.get(spec);
      if (shared !== undefined) throw new GameConfigError(GameConfigErrorCode.MODE_SHARED_RULES, `mode "${name}": reuses the rules object of mode "${shared}"; give each mode its own rules`);
      if (typeof spec === "object" && spec !== null) specOwner.set(spec, name);
      try {
        modes[name] = { rules: parseModeRules({ ...spec, name }), room: key };
      } catch (e) {
        if (e instanceof RulesError) throw new GameConfigError(GameConfigErrorCode.MODE_INVALID_RULES, e.message.replace(/^mode '([^']*)'/, 'mode "$1"'));
        throw e;
      }
    }
  }
  checkModes(modes, rooms);
  return modes;
}
