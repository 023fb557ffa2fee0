/**
 * A Rally game node: one Colyseus server with the studio's games and Rally's rooms, HTTP API, metrics
 * and readiness. `createRally` (server/index.ts) is the public way in; this is what it runs.
 *
 * Built in dependency order (store, players, tokens, social, chat, results, matchmaker, rooms), every
 * room through `registerRoom` (./rooms.ts); what flows back goes through the node's events (./events.ts).
 * Embedded defaults (LocalPresence, LocalDriver, file store) unless REDIS_URL is set, in which case
 * nodes share rooms and matchmaking through RedisPresence + RedisDriver.
 *
 * Colyseus' matchmaker is a process-wide module, so there is one node per process.
 */
import { fileURLToPath } from "node:url";
import type { RedisOptions } from "ioredis";
import { LocalDriver, LocalPresence, defineServer, matchMaker, unregisterRoomDefinitions, type Presence, type Server } from "@colyseus/core";
import { PLACED_ON, bindRoom, boundedLobby, type MatchResultSink, type RoomGuardDeps, type RoomServices } from "../../rooms/index.ts";
import { encodeRefusal } from "../../protocol/server.ts";
import { createTokenService, loadTokenSecret, type TokenService } from "../auth/index.ts";
import { createPlatformAuth } from "../auth/platform/index.ts";
import type { Config } from "../config.ts";
import { mountHttpApi } from "../http/index.ts";
import { mountAdminApi } from "../http/admin.ts";
import { createLogger, throttledWarn, type Logger } from "../log.ts";
import { createMetrics, type Metrics } from "../metrics/index.ts";
import { openStore, type Store } from "../store/index.ts";
import { StoreBreaker, guardStore } from "../store/breaker.ts";
import { checkStoreSharing } from "../store/sharing.ts";
import { Counter } from "prom-client";
import { ResultOutbox } from "./result-outbox.ts";
import { createPlayerServices, type PlayerServices } from "../players/index.ts";
import { applyCorsPolicy } from "../http/cors.ts";
import { createGatedRouter, refuseWhileShuttingDown } from "../http/matchmake-gate.ts";
import { DeadNodeReaper, LiveNodeView, LoadMeter, NodeHeartbeat, NodeState, PendingPlacements, cleanupNodeRooms, createNodeCommands, createNodeRegistry, createPoolLimitsStore, pickNode, type NodeRegistry, type PlacementRule } from "../registry/index.ts";
import { createPlacementMetrics, startShutdownWatchdog } from "../pool/node-hooks.ts";
import { LocalLease, RedisLease, createMatchmaking, createQueueRoom, type MatchmakerService, type PartyDirectory, type RatingModel } from "../../matchmaker/index.ts";
import { CustomGameRoom, RelaySessionRoom, SocialRoom, bindPeerRoom, bindSocialRoom, type SocialRoomServices } from "../../rooms/social/index.ts";
import { createSocialServices, playerChannel, type SocialServices } from "../social/index.ts";
import { mountSocialApi } from "../http/social-routes.ts";
import { MetricsListener } from "../http/metrics-endpoint.ts";
import { listedMode, queueMode } from "../social/room-hooks.ts";
import { createPlayerGuard } from "./guard.ts";
import { createChatServices, noticeResult, type ChatFilter, type ChatServices } from "../chat/index.ts";
import { mountChatApi } from "../http/chat-routes.ts";
import { RallyError } from "../errors.ts";
import { createSocketGuard } from "./sockets.ts";
import { mountAdminConsole, serveAdminQuestions } from "../admin-console/index.ts";
import type { Router } from "express";
import { checkRoomNames, gameModes, type Games } from "./games.ts";
import { NodeEvents } from "./events.ts";
import { RoomLocality, createRoomRegistry, type RoomClass, type RoomTraits } from "./rooms.ts";
import type { MatchRewards } from "../players/index.ts";

export interface GameNode {
  readonly server: Server;
  readonly config: Config;
  readonly processId: string;
  readonly tokens: TokenService;
  readonly store: Store;
  /** Profiles, leaderboards, limits, the rating model and result sink (server/players). */
  readonly players: PlayerServices;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly registry: NodeRegistry;
  /** Rally's matchmaker on this node (queue room, matcher loop, provisioning). */
  readonly matchmaker: MatchmakerService;
  /** Friends, presence, parties, join codes, relay tokens (server/social). */
  readonly social: SocialServices;
  /** Chat channels, history and the inbox (server/chat). */
  readonly chat: ChatServices;
  state(): NodeState;
  /** Stop taking new rooms, let running matches finish, then close (no process exit). */
  close(): Promise<void>;
}

/** A room registered next to the games: its class and traits (server/node/rooms.ts). */
export interface ExtraRoom {
  readonly room: RoomClass;
  readonly traits?: RoomTraits;
}

export interface GameNodeOptions {
  /** The games this node hosts, by room name (server/node/games.ts); their modes are the queue's modes. */
  games: Games;
  /**
   * Plain Colyseus rooms (not matches) by name, registered like every other room (token check unless
   * the class has its own onAuth, guard, metrics, player tracking) with the given traits.
   */
  rooms?: Readonly<Record<string, ExtraRoom>>;
  logger?: Logger;
  store?: Store;
  /** Where results go (default: the player services' sink: ratings, history, leaderboards, rewards). */
  results?: MatchResultSink;
  /** Rating model for results and matchmaking (default: OpenSkill). */
  rating?: RatingModel;
  /** Items each player gets per outcome of a ranked match (default: server/node/results.ts DEFAULT_REWARDS). */
  rewards?: MatchRewards;
  /** The studio's own routes on the /v1 router (after Rally's; same CORS, rate limit, error shape). */
  routes?: (v1: Router) => void;
  /** Let Colyseus handle SIGTERM/SIGINT (drain then exit). True for `npm start`, false in tests. */
  handleSignals?: boolean;
  /** The party directory the queue asks (default: the node's social parties). */
  matchmaking?: { parties?: PartyDirectory };
  /**
   * The studio's chat filter (profanity hook): returns the text to send (as is or rewritten) or
   * `{ reject: code }`. Default: every message passes unchanged.
   */
  chatFilter?: ChatFilter;
}

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The Redis clients, loaded only when REDIS_URL is set: a node on embedded defaults never carries
 * ioredis and Colyseus' Redis adapters (3 MB less heap for the GC to walk under load).
 */
async function loadRedisClients(url: string, logger: Logger) {
  const [{ Redis }, { RedisPresence }, { RedisDriver }] = await Promise.all([
    import("ioredis"), import("@colyseus/redis-presence"), import("@colyseus/redis-driver"),
  ]);
  // Every client gets a throttled error listener: ioredis prints a raw "Unhandled error event" stack
  // for each reconnect attempt of a client without one (the driver's), and RedisPresence logs every
  // attempt; an outage now costs a few JSON lines per client.
  const onError = (name: string) => throttledWarn(logger, `Redis (${name}) connection error`);
  class WatchedPresence extends RedisPresence {
    constructor() {
      super(url);
      for (const [name, client] of [["presence pub", this.pub], ["presence sub", this.sub]] as const) {
        client.removeAllListeners("error");
        client.on("error", onError(name));
      }
    }
  }
  return {
    client: (name: string, options: RedisOptions) => new Redis(url, options).on("error", onError(name)),
    presence: () => new WatchedPresence(),
    driver: () => {
      const driver = new RedisDriver(url);
      // Its client is private and has no error listener of its own (Colyseus 0.18.3).
      (driver as unknown as { _client: NodeJS.EventEmitter })._client.on("error", onError("driver"));
      // A Redis that restarted without its data lost this node's room listings and room count: write
      // them back on every (re)connect, so reconnection and matchmaking find the running rooms again.
      (driver as unknown as { _client: NodeJS.EventEmitter })._client.on("ready", () => {
        if (matchMaker.state !== matchMaker.MatchMakerState.READY) return;
        matchMaker.restoreMissingRoomCaches().then(() => matchMaker.stats.persist(true)).catch(onError("driver"));
      });
      return driver;
    },
  };
}

/** The port could not be bound (in use, no permission): `npm start` prints it as one line and exits 1. */
export class ListenError extends Error {
  constructor(readonly host: string, readonly port: number, readonly reason: string) {
    super(`Cannot listen on ${host}:${port}: ${reason}. Set PORT (or HOST) to a free address.`);
    this.name = "ListenError";
  }
}

/**
 * Colyseus' listen() never settles when the port is taken (the error goes to a logging listener), so a
 * node would hang half-started; this rejects with a ListenError instead. Later server errors are logged
 * as one structured line.
 */
async function listen(server: Server, http: NodeJS.EventEmitter | undefined, config: Config, logger: Logger): Promise<void> {
  if (!http) return server.listen(config.PORT, config.HOST);
  http.removeAllListeners("error");
  let failed: (err: Error) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => { failed = reject; });
  const onError = (err: NodeJS.ErrnoException) => failed(new ListenError(config.HOST, config.PORT, err.code === "EADDRINUSE" ? "the address is already in use" : err.code === "EACCES" ? "permission denied" : err.message));
  http.once("error", onError);
  await Promise.race([server.listen(config.PORT, config.HOST), failure]);
  http.off("error", onError);
  http.on("error", (err: Error) => logger.warn({ err: { message: err.message } }, "HTTP server error"));
}

export async function startGameNode(config: Config, options: GameNodeOptions): Promise<GameNode> {
  // Before anything opens: a game or mode that cannot run stops the start (GameConfigError).
  const queueModes = gameModes(options.games);
  checkRoomNames(options.games, Object.keys(options.rooms ?? {}));
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, { region: config.REGION, port: config.PORT });
  const redisClients = config.REDIS_URL ? await loadRedisClients(config.REDIS_URL, logger) : undefined;
  const metrics = createMetrics({ region: config.REGION });
  if (!options.store) checkStoreSharing(config);
  // A database outage answers 503 STORE_UNAVAILABLE at once (server/store/breaker.ts).
  const breaker = new StoreBreaker({
    failures: config.STORE_BREAKER_FAILURES, openMs: config.STORE_BREAKER_OPEN_MS, timeoutMs: config.STORE_TIMEOUT_MS, metricsRegistry: metrics.registry,
    onStateChange: (state, err) => (state === "closed" ? logger.info({}, "store reachable again: breaker closed") : logger.warn({ err, state }, "store unreachable: breaker open, answering 503 STORE_UNAVAILABLE")),
  });
  const store = guardStore(options.store ?? await openStore(config.SHARED_SQLITE_DIR ? { ...config, DATA_DIR: config.SHARED_SQLITE_DIR } : config, { logger: logger.child({ component: "store" }), registry: metrics.registry }), breaker);
  // Player data's own Redis connection (cache, limits, leaderboards): fail fast instead of queueing,
  // so a Redis outage degrades to the store rather than stalling requests.
  const redis = redisClients?.client("player data", { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500 });
  await redis?.connect().catch((err) => logger.warn({ err }, "Redis for player data unreachable at start; using the store"));
  const players = createPlayerServices(config, store, { redis, logger: logger.child({ component: "players" }), metricsRegistry: metrics.registry, model: options.rating, rewards: options.rewards });
  const tokens = createTokenService({
    sessions: store.sessions,
    checkPlayer: players.checkPlayer,
    secret: await loadTokenSecret(config.JWT_SECRET, config.DATA_DIR),
    accessTtlS: config.ACCESS_TOKEN_TTL_S,
    refreshTtlS: config.REFRESH_TOKEN_TTL_S,
  });
  // What a finished match (and a social notice) sets off, subscribed below by each consumer once it exists.
  const events = new NodeEvents((err, event, listener) => logger.warn({ err }, `${event}: ${listener} failed`));
  // Match ends whose tickets and records are still being released: shutdown waits for them before it
  // closes the Redis connection, or the last match's keys would stay behind.
  const releasing = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    releasing.add(p);
    void p.finally(() => releasing.delete(p));
    return p;
  };

  const presence: Presence = redisClients?.presence() ?? new LocalPresence();
  // Cluster coordination (tickets, leases, player records, social state): one connection that retries,
  // unlike player data's fail-fast one above.
  const coordination = redisClients?.client("coordination", { maxRetriesPerRequest: 2, commandTimeout: 2000 });
  const registry = createNodeRegistry(presence, config.NODE_TTL_MS);
  const driver = redisClients?.driver() ?? new LocalDriver();
  const social = createSocialServices({
    store, presence, redis: coordination, presenceTtlMs: config.PRESENCE_TTL_MS,
    friendLimits: { maxBlocked: config.FRIENDS_MAX_BLOCKED, maxIncoming: config.FRIENDS_MAX_INCOMING },
    partyModes: queueModes,
    onError: (err, what) => logger.warn({ err }, `social: ${what} failed`),
    // An unread request from the same player, or invite to the same party from the same friend, is not repeated.
    notify: (playerId, kind, data) => void events.emit("notice", { playerId, kind, data, sameAs: kind === "friend_request" ? ["playerId"] : ["partyId", "from"] }),
  });
  const chat = createChatServices({ store, social, settings: config, redis, filter: options.chatFilter, metricsRegistry: metrics.registry, onError: (err, what) => logger.warn({ err }, `chat: ${what} failed`) });
  events.on("notice", "inbox", (n) => chat.inbox.notify(n.playerId, n.kind, n.data, { sameAs: n.sameAs }).then(() => undefined));
  // Once the store took a result, each player's inbox gets a match_result notification.
  events.on("resultStored", "inbox", (result) => noticeResult(chat.inbox, result, (err, matchId) => logger.warn({ err, matchId }, "match result notification failed")));
  // A result the store cannot take now waits in memory and is retried until stored (server/node/result-outbox.ts).
  const resultSink = options.results ?? players.results;
  const outbox = new ResultOutbox({
    sink: { report: async (r) => { await resultSink.report(r); await events.emit("resultStored", r); } },
    logger: logger.child({ component: "results" }), metricsRegistry: metrics.registry,
  });
  const socialRooms: SocialRoomServices = {
    tokens, logger: logger.child({ component: "social" }), region: config.REGION,
    connected: (id) => social.presence.connect(id),
    disconnected: (id) => social.presence.disconnect(id),
    channelOf: playerChannel,
    snapshot: async (id) => ({ friends: await social.friends.list(id), party: await social.parties.of(id), inbox: { unread: await chat.inbox.unread(id) } }),
    createCode: (kind, roomId) => social.codes.create({ kind, id: roomId }),
    releaseCode: (code) => social.codes.release(code),
    relayTokenFor: (token, playerId) => social.relayTokens.validFor(token, playerId),
    redeemRelayToken: (token, playerId, roomId) => social.relayTokens.redeem(token, playerId, roomId),
    codeAttempt: (playerId) => players.limits.account(playerId),
    sendChat: async (sender, message) => {
      try {
        return { ok: true, message: await chat.chat.send(sender, message) };
      } catch (e) {
        if (!(e instanceof RallyError)) throw e;
        return { ok: false, code: e.code, message: e.message, ...(e.details.reason ? { reason: e.details.reason } : {}) };
      }
    },
  };
  const load = new LoadMeter();
  const heartbeat = new NodeHeartbeat(registry, () => ({
    nodeId: matchMaker.processId,
    region: config.REGION,
    publicAddress: config.PUBLIC_ADDRESS ?? null,
    capacity: config.ROOM_CAPACITY,
    rooms: matchMaker.stats.local.roomCount,
    ccu: matchMaker.stats.local.ccu,
    name: config.NODE_NAME ?? null,
    load: load.read(),
  }), Date.now, undefined, () => {
    // The entry was gone: the reaper took this node for dead (a stall longer than NODE_TTL_MS) or Redis
    // lost it. Write this node's room listings and count back so its running rooms are found again.
    logger.warn({ processId: matchMaker.processId }, "registry entry was missing (reaped or lost); room listings written back");
    if (matchMaker.state === matchMaker.MatchMakerState.READY) matchMaker.restoreMissingRoomCaches().then(() => matchMaker.stats.persist(true)).catch((err) => logger.warn({ err }, "could not write room listings back"));
  });
  const commands = createNodeCommands(presence);
  const placement = createPlacementMetrics(metrics.registry);
  const placementRule: PlacementRule = { packBelow: config.PLACEMENT_PACK_BELOW, cpuFull: config.PLACEMENT_CPU_FULL, lagFullMs: config.PLACEMENT_LAG_FULL_MS };
  const pending = new PendingPlacements();
  // One cached view of the live nodes for the matchmaker, placement and the reaper (server/registry/live-view.ts).
  const nodes = new LiveNodeView(registry);
  const matchmaking = createMatchmaking({
    redis: coordination,
    region: config.REGION,
    bus: presence,
    metricsRegistry: metrics.registry,
    logger: logger.child({ component: "matchmaker" }),
    knownRegions: () => nodes.regions(Date.now()),
    ratingOf: (playerId, mode) => players.ratings.current(playerId, mode),
    modes: queueModes,
    parties: options.matchmaking?.parties ?? social.parties,
    connectTimeoutS: config.MM_CONNECT_TIMEOUT_S,
    queueGraceS: config.MM_QUEUE_GRACE_S,
    leaseTtlMs: config.MM_LEASE_TTL_MS,
    // a queued player whose queue node died may rejoin elsewhere as soon as the registry drops the node
    nodeAlive: (nodeId) => nodes.alive(nodeId, Date.now()),
  });
  // A finished match, in order: players (result and ratings stored, or queued for retry; a failure goes
  // back to the room, which retries), then the matchmaker (the match's players may queue again).
  events.on("matchEnded", "players", (r) => outbox.report(r), { required: true });
  events.on("matchEnded", "matchmaker release", (r) => matchmaking.service.matchEnded(r));
  const services: RoomServices = {
    tokens,
    results: { report: (r) => track(events.emit("matchEnded", r)) as Promise<void> },
    matchmaking: { noShow: (report) => matchmaking.service.noShow(report), backfill: (opening) => matchmaking.service.backfillOpening(opening) },
    observer: metrics.rooms,
    logger: logger.child({ component: "rooms" }),
    region: config.REGION,
    reconnectWindowS: config.RECONNECT_WINDOW_S,
    drainTimeoutS: config.DRAIN_TIMEOUT_S,
  };

  // Every node watches the registry for dead peers; the holder of the `reaper` lease cleans up after
  // them: their players' tickets and records, presence entries, room listings, room count, entry.
  const nodesReaped = new Counter({ name: "rally_nodes_reaped_total", help: "Dead nodes this node cleaned up after (as the reaper lease holder)", registers: [metrics.registry] });
  const reaper = new DeadNodeReaper({
    registry: nodes,
    lease: coordination ? new RedisLease(coordination, Date.now) : new LocalLease(Date.now),
    self: () => matchMaker.processId,
    steps: [
      { name: "matchmaker", run: (ids) => matchmaking.service.releaseDeadNodes(ids) },
      { name: "presence", run: (ids) => social.presence.dropNodes(ids) },
    ],
    cleanup: (nodeId) => cleanupNodeRooms(presence, driver, nodeId),
    logger: logger.child({ component: "reaper" }),
    onReaped: () => nodesReaped.inc(),
  });

  // Every registered room: a message limit, reconnection bound to the seat's player, watched frame
  // decoding (rooms/guard.ts); per-player seat and connection counts (./guard.ts).
  const sockets = createSocketGuard({ logger: logger.child({ component: "sockets" }), registry: metrics.registry, maxSendBufferBytes: config.MAX_SEND_BUFFER_BYTES });
  const playerGuard = createPlayerGuard({
    tokens, presence, redis: coordination, logger: logger.child({ component: "guard" }),
    settings: {
      ipPerMin: config.API_RATE_PER_MIN, playerPerMin: config.MATCHMAKE_RATE_PER_MIN, createsPerMin: config.ROOM_CREATES_PER_MIN,
      maxRooms: config.MAX_ROOMS_PER_PLAYER, maxConnections: config.MAX_CONNECTIONS_PER_PLAYER, trustProxy: config.TRUST_PROXY,
    },
  });
  const guardDeps: RoomGuardDeps = {
    tokens, maxMessagesPerSecond: config.ROOM_MAX_MESSAGES_PER_S, frames: sockets.frames, maxQueuedBytes: config.MAX_SEND_BUFFER_BYTES,
    joinRefused: (roomId, sessionId, auth) => playerGuard.joinRefused(roomId, sessionId, auth),
  };
  const roomRegistry = createRoomRegistry({
    tokens, guard: guardDeps, observer: metrics.rooms, playerGuard, presence: social.presence, chat: chat.chat,
    processId: () => matchMaker.processId, onError: (err, what) => logger.warn({ err }, `rooms: ${what} failed`),
  });
  const { registerRoom } = roomRegistry;
  const inMatch = { status: "in_match", modeOf: listedMode } as const;
  for (const [name, game] of Object.entries(options.games)) {
    registerRoom(name, bindRoom(game.room, services), { locality: RoomLocality.placed, presence: inMatch, matchChat: true });
  }
  for (const [name, extra] of Object.entries(options.rooms ?? {})) {
    registerRoom(name, extra.room, extra.traits ?? { locality: RoomLocality.placed });
  }
  registerRoom("lobby", boundedLobby(config.LOBBY_MAX_LISTED), { locality: RoomLocality.placed });
  registerRoom("relay", bindPeerRoom(RelaySessionRoom, socialRooms), { locality: RoomLocality.placed });
  registerRoom("social", bindSocialRoom(SocialRoom, socialRooms), { locality: RoomLocality.local, onePerPlayer: true });
  // Player-made games, listed in the lobby in real time; filterBy values stay in the metadata (spread).
  registerRoom("custom", bindPeerRoom(CustomGameRoom, socialRooms), { locality: RoomLocality.placed, filterBy: ["mode", "region"], realtimeListing: true });
  // Party members share a queue room (filterBy), so a party's ticket is made in one place.
  registerRoom("queue", createQueueRoom({ verifyAccess: (t) => tokens.verifyAccess(t), service: matchmaking.service, measureRtt: (c) => sockets.measureRtt(c) }), {
    locality: RoomLocality.local, filterBy: ["partyId"], presence: { status: "in_queue", modeOf: queueMode },
  });

  const transport = sockets.transport({ maxPayload: 16 * 1024 });
  const metricsListener = config.METRICS_PORT === undefined ? undefined
    : new MetricsListener(metrics, { port: config.METRICS_PORT, host: config.METRICS_HOST, token: config.METRICS_TOKEN });
  const server = defineServer({
    rooms: roomRegistry.rooms,
    routes: createGatedRouter([refuseWhileShuttingDown]),
    transport,
    presence,
    driver,
    publicAddress: config.PUBLIC_ADDRESS,
    // Colyseus' default picks the node with the fewest rooms and falls back to this process; Rally
    // places by region, skips draining and full nodes, packs, and refuses when nothing fits.
    // With PLACEMENT_WAIT_MS > 0 it waits that long for a node to appear (a cold start) before refusing.
    selectProcessIdToCreateRoom: async (roomName, clientOptions) => {
      // A local room (queue, social) holds the sockets of the players who reached this node (server/node/rooms.ts).
      if (roomRegistry.localityOf(roomName) === RoomLocality.local && heartbeat.current === NodeState.READY) return matchMaker.processId;
      const requested = (clientOptions as { region?: unknown } | undefined)?.region;
      const region = typeof requested === "string" ? requested : config.REGION;
      const t0 = performance.now();
      const until = Date.now() + config.PLACEMENT_WAIT_MS;
      const pick = async () => pickNode(await nodes.live(Date.now(), 0), region, Date.now(), registry.ttlMs, placementRule, (e) => pending.count(e));
      let node = await pick();
      const warm = node !== null;
      while (!node && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        node = await pick();
      }
      if (node) pending.placed(node);
      // A matchmade create carries the chosen node: if that node does not answer, Colyseus would create
      // the room here instead; the room guard refuses that (rooms/guard.ts PLACED_ON) and the matcher requeues.
      if (node && clientOptions && typeof (clientOptions as { matchId?: unknown }).matchId === "string") (clientOptions as Record<string, unknown>)[PLACED_ON] = node.nodeId;
      placement.observe(region, node ? (warm ? "warm" : "cold") : "failed", (performance.now() - t0) / 1000);
      // The code travels in the refusal (the matcher and the HTTP edge decode it; a client's create answers 503).
      if (!node) throw encodeRefusal("NO_NODE_AVAILABLE", `no ready node with free capacity in region "${region}"`);
      return node.nodeId;
    },
    gracefullyShutdown: options.handleSignals ?? false,
    greet: false,
    // Colyseus' own errors (bad frames, IPC failures) go through pino as JSON lines, not raw stacks.
    // Errors while a client's frame is decoded are that client's malformed frame (./sockets.ts).
    logger: sockets.colyseusLogger(logger.child({ component: "colyseus" })),
    express: (app) => mountHttpApi(mountChatApi(mountAdminConsole(mountAdminApi(mountSocialApi(app, {
      tokens, social, limits: players.limits, metrics, logger, corsOrigins: config.CORS_ORIGINS, writesPerMin: config.SOCIAL_RATE_PER_MIN, redis,
    }), { adminToken: config.ADMIN_TOKEN, ratePerMin: config.ADMIN_RATE_PER_MIN, registry, commands, limits: createPoolLimitsStore(presence) }), {
      adminToken: config.ADMIN_TOKEN, registry, presence, processId: () => matchMaker.processId, queues: matchmaking.service, store, logger,
    }), {
      tokens, chat, store, limits: players.limits, metrics, logger, corsOrigins: config.CORS_ORIGINS, adminToken: config.ADMIN_TOKEN,
    }), {
      tokens, players, metrics, logger,
      corsOrigins: config.CORS_ORIGINS,
      trustProxy: config.TRUST_PROXY,
      adminToken: config.ADMIN_TOKEN,
      region: config.REGION,
      processId: () => matchMaker.processId,
      state: () => heartbeat.current,
      onBan: (playerId) => playerGuard.kick(playerId),
      matches: matchmaking.service,
      routes: options.routes,
      staticDirs: config.SERVE_DEMO ? [`${repoRoot}client-sdk/demo`, `${repoRoot}client-sdk/dist`] : [],
      metricsOnMainPort: config.METRICS_PORT === undefined,
      metricsToken: config.METRICS_TOKEN,
      // Replays are refused cluster-wide through player data's Redis (memory per node without it).
      platform: createPlatformAuth(config, { redis, logger: logger.child({ component: "platform-auth" }), registry: metrics.registry }),
    }),
  });

  server.onBeforeShutdown(async () => {
    // A process told to stop always exits in bounded time, even when Redis is gone and Colyseus' own
    // shutdown would wait forever: once no room is left (after SHUTDOWN_GRACE_S) or after
    // DRAIN_TIMEOUT_S + SHUTDOWN_GRACE_S in any case.
    if (options.handleSignals) startShutdownWatchdog({ graceS: config.SHUTDOWN_GRACE_S, drainTimeoutS: config.DRAIN_TIMEOUT_S, rooms: () => matchMaker.stats.local.roomCount, logger });
    await matchmaking.service.stop().catch(() => undefined); // hand the matcher leases over at once
    await reaper.stop().catch(() => undefined); // and the reaper's: a node on its way out reaps nobody
    const published = heartbeat.setState(NodeState.DRAINING).catch((err) => logger.warn({ err }, "could not publish draining state"));
    await Promise.race([published, new Promise((r) => setTimeout(r, 2000).unref())]);
    logger.info({ processId: matchMaker.processId }, "draining: no new rooms; running matches finish");
  });
  server.onShutdown(async () => {
    // Presence is already closed here; the entry says "draining" and expires with its heartbeat.
    await playerGuard.close().catch(() => undefined);
    await Promise.race([Promise.allSettled([...releasing]), new Promise((r) => setTimeout(r, 5000).unref())]);
    await heartbeat.stop().catch(() => undefined);
    load.stop();
    await metricsListener?.close().catch(() => undefined);
    await social.close().catch(() => undefined);
    await chat.close().catch(() => undefined);
    await matchmaking.close().catch(() => undefined);
    coordination?.disconnect();
    await outbox.close();
    await players.close().catch((err) => logger.warn({ err }, "could not flush player data queue"));
    redis?.disconnect();
    await store.close();
    // Colyseus keeps room types in its process-wide matchmaker after a server stops: the next node in
    // this process (a test file after another) must see only its own rooms.
    unregisterRoomDefinitions(Object.keys(roomRegistry.rooms));
    logger.info({}, "node stopped");
  });

  applyCorsPolicy(config.CORS_ORIGINS);
  await listen(server, transport.server, config, logger);
  load.start();
  await metricsListener?.start();
  await playerGuard.start(transport.server);
  await heartbeat.setState(NodeState.READY);
  heartbeat.start((err) => logger.warn({ err }, "heartbeat failed"));
  reaper.start();
  matchmaking.service.start(matchMaker.processId);
  social.start();
  chat.start();
  // Other nodes' admin consoles ask this node for the clients of the rooms it hosts.
  if (config.ADMIN_TOKEN) await serveAdminQuestions(presence, matchMaker.processId);
  // A drain request (pool manager or admin API): leave placement, /readyz 503, lock the rooms; running
  // matches go on. The manager stops the process (SIGTERM) once it hosts no room.
  await commands.onDrain(matchMaker.processId, () => {
    if (heartbeat.current !== NodeState.READY) return;
    logger.info({ processId: matchMaker.processId }, "drain requested: no new rooms; running matches finish");
    heartbeat.setState(NodeState.DRAINING).catch((err) => logger.warn({ err }, "could not publish draining state"));
    matchMaker.query({ processId: matchMaker.processId }).then((rooms) => {
      for (const listing of rooms) void matchMaker.getLocalRoomById(listing.roomId)?.lock();
    }).catch((err) => logger.warn({ err }, "could not lock rooms for drain"));
  });
  logger.info({ processId: matchMaker.processId, port: config.PORT, redis: Boolean(config.REDIS_URL), publicAddress: config.PUBLIC_ADDRESS ?? null }, "node ready");

  return {
    server, config, tokens, store, players, metrics, logger, registry,
    matchmaker: matchmaking.service,
    social,
    chat,
    processId: matchMaker.processId,
    state: () => heartbeat.current,
    close: () => server.gracefullyShutdown(false),
  };
}
