/**
 * `rally/server`: what a studio's game imports to run on Rally.
 *
 *   import { createRally, defineGame, MatchRoom } from "rally/server";
 *   const rally = await createRally({ games: { tap: defineGame({ room: TapRoom, modes: { duel: { teams: 2, teamSize: 1 } } }) } });
 *   await rally.listen();   // port and the rest from the validated environment (server/config.ts)
 *   await rally.close();
 *
 * A game key is its room name; mode names are global. The queue offers exactly the modes of the
 * games given (no built-in modes). Games and modes are checked in `createRally`: one that cannot run
 * throws a GameConfigError naming it, before any port or store is opened.
 */
import type { Router } from "express";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { ListenError, startGameNode, type ExtraRoom, type GameNode, type GameNodeOptions } from "./node/index.ts";
import { GameConfigError, checkRoomNames, gameModes, type Games } from "./node/games.ts";
import type { MatchRewards } from "./players/index.ts";
import type { Logger } from "./log.ts";
import type { Store } from "./store/index.ts";
import type { ChatFilter } from "./chat/index.ts";
import type { SeasonSchedule } from "./players/index.ts";
import type { MatchResultSink } from "../rooms/index.ts";
import type { PartyDirectory, QueueModes, RatingModel } from "../matchmaker/index.ts";

export { defineGame, GameConfigErrorCode, BUILT_IN_ROOMS, type GameDefinition, type Games, type ModeSpec, type MatchRoomClass } from "./node/games.ts";
export { MatchRoom, MatchPhase, baseJoinOptionsSchema, type MatchPlayer, type MatchmadeOptions } from "../rooms/match-room.ts";
export type { MatchResult, MatchResultPlayer, MatchResultSink, MatchOutcome, PlayerIdentity } from "../rooms/services.ts";
// A room refuses with a catalog code (protocol/errors.ts), encoded once; clients decode it with rally/protocol.
export { encodeRefusal, refusalFrom } from "../protocol/server.ts";
export { ERRORS, RallyError, type ErrorCode } from "../protocol/index.ts";
export type { RatingModel, Skill } from "../matchmaker/rating.ts";
export { OpenSkillModel } from "../matchmaker/rating.ts";
export { DEFAULT_REWARDS, type MatchRewards } from "./players/index.ts";
// What a game room is written with, from the same module instances Rally runs on: a second copy of
// @colyseus/schema in a game's folder breaks state sync ("Multiple @colyseus/schema versions detected").
export type { Client, StepContext } from "@colyseus/core";
export { Schema, MapSchema, ArraySchema, StateView, type, view } from "@colyseus/schema";
export { z } from "zod";
export { ConfigError, GameConfigError, ListenError, loadConfig, type Config, type ExtraRoom, type GameNode };
export { RoomLocality, type RoomTraits, type RoomPresenceTrait } from "./node/rooms.ts";
export type { ChatFilter, Logger, SeasonSchedule, Store };

export interface RallyOptions {
  /** The games this node hosts, by room name (`defineGame`). Their modes are the queue's modes. */
  readonly games: Games;
  /** Validated settings (default: `loadConfig()` from the environment). */
  readonly config?: Config;
  /** Rating model for results and matchmaking (default: OpenSkill). */
  readonly rating?: RatingModel;
  /** Items per outcome of a ranked match (default: DEFAULT_REWARDS). */
  readonly rewards?: MatchRewards;
  /** Leaderboard season schedule (default: SEASON_SCHEDULE from the config). */
  readonly seasons?: SeasonSchedule;
  /**
   * Plain Colyseus rooms (not matches, no queue modes) by name, registered through the same path as
   * every room: token check unless the class has its own static onAuth, guard, metrics, player tracking.
   */
  readonly rooms?: GameNodeOptions["rooms"];
  /** Extra routes on the /v1 router (after Rally's; same CORS, rate limit, JSON body and error shape). */
  readonly routes?: (v1: Router) => void;
  /** The store (default: from the config: embedded SQLite in DATA_DIR, PostgreSQL, MongoDB). */
  readonly store?: Store;
  /** Where match results go (default: ratings, history, leaderboards, rewards in the store). */
  readonly results?: MatchResultSink;
  /** A pino logger (default: JSON lines at LOG_LEVEL). */
  readonly logger?: Logger;
  /** The chat filter (profanity hook); default: every message passes. */
  readonly chatFilter?: ChatFilter;
  /** The party directory the queue asks (default: the node's social parties). */
  readonly parties?: PartyDirectory;
  /** Drain and exit on SIGTERM/SIGINT (default: false; `npm start` sets it). */
  readonly handleSignals?: boolean;
}

export interface Rally {
  /** The validated settings this node runs with. */
  readonly config: Config;
  /** The queue's modes (mode name -> parsed rules and room), checked at createRally. */
  readonly modes: QueueModes;
  /** Opens the store, registers the rooms and listens on config.PORT (ListenError when it cannot). */
  listen(): Promise<void>;
  /** The running node's services (store, players, matchmaker, social, chat...); throws before listen(). */
  readonly node: GameNode;
  /** Drains and stops the node (no process exit); a no-op before listen(). */
  close(): Promise<void>;
}

/**
 * Checks the games and modes (GameConfigError) and the settings (ConfigError when `config` is not
 * given and the environment is invalid); nothing is opened until `listen()`.
 */
export async function createRally(options: RallyOptions): Promise<Rally> {
  const base = options.config ?? loadConfig();
  const config: Config = options.seasons ? { ...base, SEASON_SCHEDULE: options.seasons } : base;
  const modes = gameModes(options.games);
  checkRoomNames(options.games, Object.keys(options.rooms ?? {}));
  let node: GameNode | undefined;
  let starting: Promise<GameNode> | undefined;
  return {
    config,
    modes,
    get node(): GameNode {
      if (!node) throw new Error("rally.node is available once listen() resolved");
      return node;
    },
    async listen() {
      starting ??= startGameNode(config, {
        games: options.games, rooms: options.rooms, logger: options.logger, store: options.store, results: options.results,
        rating: options.rating, rewards: options.rewards, routes: options.routes, chatFilter: options.chatFilter,
        handleSignals: options.handleSignals, matchmaking: options.parties ? { parties: options.parties } : undefined,
      });
      node = await starting;
    },
    async close() {
      const running = node ?? await starting?.catch(() => undefined);
      await running?.close();
    },
  };
}

/**
 * What `npm start` runs, for a studio's own entry file: createRally + listen, draining and exiting on
 * SIGTERM/SIGINT (`handleSignals` defaults to true here). A setting, game or port the operator or
 * studio must fix (ConfigError, GameConfigError, ListenError) is printed as one line on stderr and
 * the process exits 1; anything else is a bug and throws with its stack.
 */
export async function startRally(options: RallyOptions): Promise<Rally> {
  try {
    const rally = await createRally({ handleSignals: true, ...options });
    await rally.listen();
    return rally;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof GameConfigError || e instanceof ListenError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}
