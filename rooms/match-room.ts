/**
 * Base class for matchmade game rooms: everything a match needs that is not the game itself.
 *
 * - Who may join: identity comes from the access token (static onAuth), never from options. A room
 *   created by the matchmaker (`matchId` + `teams` in its create options) admits only the expected
 *   players, on their assigned team; an open room (created by a client's joinOrCreate) seats anyone up
 *   to `maxPlayers`, on the smallest team.
 * - Phases (strings): waiting -> playing -> ended. A matchmade room starts when every expected player
 *   is connected or when the connect timeout fires with at least `minPlayers`; an open room starts
 *   `startDelayMs` after `minPlayers` are in.
 * - Dropped players keep their seat for the reconnection window.
 * - Backfill (modes with `backfill`): a seat left for good while the match plays, within `untilS` of
 *   the start, is offered to the matchmaker, which seats a waiting player on that team
 *   (`admitBackfill`); the late joiner is rated for the share of the match it played.
 * - Exactly one result per match goes to the MatchResultSink.
 * - Draining (SIGTERM): a running match is left to finish (up to the drain timeout); a room still
 *   waiting for an open game is closed so its players can find another node.
 *
 * A game extends it and fills in the `protected abstract` hooks; it never touches the lifecycle.
 */
import { CloseCode, Room, type AuthContext, type Client, type StepContext } from "@colyseus/core";
import { z } from "zod";
import { winnerTeam } from "../server/players/outcome.ts";
import { MatchMessage, backfillAdmissionSchema, matchmadeOptionsSchema, type BackfillOpening, type ErrorCode, type HeldSeat, type MatchmadeOptions } from "../protocol/index.ts";
import { encodeRefusal, refusalFrom } from "../protocol/server.ts";
import { renewPatchMaps } from "./patch-maps.ts";
import { reservedSeatCount, seatReconnectionToken, unusedReservationOf } from "./guard.ts";
import type { MatchOutcome, MatchResult, PlayerIdentity, RoomServices } from "./services.ts";

/**
 * Every this-many-th fixed step of a room is timed for the tick-duration histogram (at 30 Hz about one
 * sample per room every 2 s). Timing every step (two clock reads and an observation) put ~3.5 µs on
 * the median ~55 µs arena tick in `npm run bench:rooms`; one step in 8 still cost ~2 µs at the median,
 * one in 64 costs nothing measurable. The timed step stays out of line (`timedStep`): folded into
 * `fixedStep`, the median tick measured ~2 µs slower (two rounds each way).
 */
export const TICK_TIMING_EVERY = 64;

/** A match with open backfill seats writes its opening again this often (ms). */
export const BACKFILL_REFRESH_MS = 5000;

/** How long an open room (not matchmade) waits after its `minPlayers`-th player before it starts. */
export const OPEN_ROOM_START_DELAY_MS = 3000;

export const MatchPhase = { WAITING: "waiting", PLAYING: "playing", ENDED: "ended" } as const;
export type MatchPhase = (typeof MatchPhase)[keyof typeof MatchPhase];

/** What the matchmaker passes to `matchMaker.createRoom` (protocol/match.ts). Clients can never set these (see onAuth). */
export { matchmadeOptionsSchema, type MatchmadeOptions };

/** Options a client may send when it joins. Rooms extend this; unknown keys are refused. */
export const baseJoinOptionsSchema = z.object({}).strict();

export interface MatchPlayer {
  readonly sessionId: string;
  readonly playerId: string;
  readonly name: string;
  readonly team: number;
  connected: boolean;
  /** False once the player left for good. */
  present: boolean;
  /** Backfilled players: ms into the match when they took the seat (absent: there from the start). */
  readonly joinedAtMs?: number;
}

/** A backfilled player the room admitted and waits for (its seat reservation is out). */
interface Admission {
  readonly team: number;
  readonly timer: { clear(): void };
}

export abstract class MatchRoom<S extends object = object> extends Room<{ state: S }> {
  /** Set by `bindRoom`; the services this room class was registered with. */
  static services: RoomServices | undefined;
  /** Join options a client may send (validated in onAuth). */
  static joinOptions: z.ZodType = baseJoinOptionsSchema;

  // Tunables a game may override as class fields.
  protected minPlayers = 2;
  protected maxPlayers = 16;
  protected teamCount = 2;
  protected tickRate = 30;
  protected startDelayMs = OPEN_ROOM_START_DELAY_MS;
  protected connectTimeoutMs = 20_000;
  /** How long clients see the result before the room closes. */
  protected resultLingerMs = 5000;
  /** Seconds a dropped player's seat is held; unset: the node's RECONNECT_WINDOW_S. */
  protected reconnectWindowS: number | undefined = undefined;

  protected phase: MatchPhase = MatchPhase.WAITING;
  protected matchId = "";
  protected mode: string | null = null;
  /** Matchmade rooms: what the mode's attribute rules made common to the match (e.g. `{ map: ["dust", "port"] }`); empty otherwise. */
  protected matchAttributes: Readonly<Record<string, unknown>> = {};
  protected readonly players = new Map<string, MatchPlayer>();
  /** Matchmade rooms only: playerId -> team. */
  private expected: Map<string, number> | null = null;
  private startedAt = 0;
  private reported = false;
  private noShow: MatchmadeOptions["noShow"];
  private draining = false;
  /** Bot seats filled (at creation or for no-shows). */
  private botSeats = 0;
  /** sessionId -> ms epoch until which a dropped player's seat is held (for `heldSeat`) */
  private readonly heldUntil = new Map<string, number>();
  /** ms epoch of a matchmade room's creation: seats never used are held until the connect timeout */
  private createdAtMs = 0;
  /** Region the matchmaker made the match for (a backfilled player must be able to play there). */
  private matchRegion = "";
  /** Backfill (modes with `backfill`): seconds after the start during which empty seats are refilled; null: off. */
  private backfillUntilS: number | null = null;
  /** ms epoch of the start (backfill's deadline and the openings' `untilMs` count from it) */
  private startedAtMs = 0;
  /** open seats per team, offered to the matchmaker */
  private openSeats: number[] = [];
  /** ms epoch the oldest open seat opened (0: none open) */
  private openedAt = 0;
  /** playerId -> admitted by backfill, not joined yet */
  private readonly admissions = new Map<string, Admission>();

  /**
   * What a room class seats: its `teamCount` and `maxPlayers` (class fields, read from a probe instance
   * that never joins Colyseus: a Room's constructor starts no timer). The node checks every queue mode
   * against it at start (server/node/games.ts).
   */
  static seatingOf(Klass: new () => MatchRoom): { teams: number; maxPlayers: number } {
    const probe = new Klass();
    return { teams: probe.teamCount, maxPlayers: probe.maxPlayers };
  }

  protected get services(): RoomServices {
    const services = (this.constructor as typeof MatchRoom).services;
    if (!services) throw new Error(`${this.constructor.name} has no services: register it through bindRoom()`);
    return services;
  }

  // ---- the game's part -------------------------------------------------------------------------

  /** Build the initial state. */
  protected abstract createState(): S;
  /**
   * Seat `count` server-side bots on `team` (matchmade rooms whose mode allows bots). Return false if
   * this game has no bots; the default has none.
   */
  protected addBots(_team: number, _count: number): boolean { return false; }
  /** A player took a seat (first join only). */
  protected abstract onPlayerJoin(client: Client, player: MatchPlayer): void;
  /** A player came back after a drop (same sessionId, new connection). */
  protected onPlayerReconnect(_client: Client, _player: MatchPlayer): void {}
  /** A player dropped or left; `present` tells which. */
  protected onPlayerConnectionChange(_player: MatchPlayer): void {}
  /** The match started. */
  protected onMatchStart(): void {}
  /** One fixed simulation step while playing. */
  protected abstract onStep(step: StepContext): void;
  /** Scores for the result. */
  protected abstract scores(): { teams: number[]; players: Map<string, number> };
  /** Register the game's messages with `this.input(...)`. */
  protected abstract registerInputs(): void;

  // ---- helpers for games -----------------------------------------------------------------------

  /**
   * Register a client message validated by a zod schema. A message that fails validation gets an
   * `error` reply and changes nothing (Colyseus' own `validate` would close the client without telling
   * it why). Messages from players outside the playing phase are dropped.
   */
  protected input<T extends z.ZodType>(type: string, schema: T, handler: (client: Client, player: MatchPlayer, message: z.infer<T>) => void): void {
    // Per-message hot path: services, observer and room name are resolved once, not on every message.
    const observer = this.services.observer;
    const roomName = this.roomName;
    this.onMessage(type, (client: Client, raw: unknown) => {
      observer.messageIn(roomName, type);
      const player = this.players.get(client.sessionId);
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        observer.messageRejected(roomName, "invalid");
        this.sendError(client, "INVALID_MESSAGE", `"${type}": ${parsed.error.issues[0]?.message ?? "invalid"} at ${parsed.error.issues[0]?.path.join(".") || "(root)"}`);
        return;
      }
      if (!player || !player.present || this.phase !== MatchPhase.PLAYING) {
        observer.messageRejected(roomName, "not-playing");
        return;
      }
      try {
        handler(client, player, parsed.data);
      } catch (err) {
        this.reportFault(err, `onMessage:${type}`);
      }
    });
  }

  protected sendError(client: Client, code: ErrorCode, message: string): void {
    client.send(MatchMessage.ERROR, { code, message });
    this.services.observer.messagesOut(this.roomName, "message");
  }

  protected get elapsedMs(): number {
    return this.phase === MatchPhase.WAITING ? 0 : this.clock.currentTime - this.startedAt;
  }

  /** End the match: one result to the sink, a `result` message to everyone, then close. */
  protected endMatch(reason: string, outcome: MatchOutcome = "completed"): void {
    if (this.phase === MatchPhase.ENDED) return;
    const wasPlaying = this.phase === MatchPhase.PLAYING;
    this.phase = MatchPhase.ENDED;
    if (this.hasOpenSeats() || this.admissions.size) this.publishBackfill(); // withdrawn
    for (const a of this.admissions.values()) a.timer.clear();
    // The fixed timestep keeps running, idle (see start()): it is what ticks the room clock that fires
    // the linger timer below. Clearing it with setTimestep() would freeze the clock (Colyseus then
    // never ticks it again), the room would never close, and a draining node would never exit.
    void this.lock();
    const result = this.buildResult(reason, wasPlaying ? outcome : "cancelled");
    this.broadcast(MatchMessage.RESULT, result);
    this.services.observer.messagesOut(this.roomName, "message", this.clients.length);
    void this.report(result);
    this.clock.setTimeout(() => void this.disconnect(CloseCode.CONSENTED), this.resultLingerMs);
  }

  // ---- Colyseus lifecycle ----------------------------------------------------------------------

  static override async onAuth(_token: string, _options: unknown, _context: AuthContext): Promise<unknown> {
    throw new Error("MatchRoom.onAuth must be bound with bindRoom()");
  }

  override onCreate(options: unknown): void {
    this.containClockFaults();
    const matchmade = matchmadeOptionsSchema.safeParse(options);
    // Options meant for a matchmade room that do not parse must never fall back to an open room
    // (anyone could join it, on any team).
    if (!matchmade.success && typeof options === "object" && options !== null && "matchId" in options) {
      const issue = matchmade.error.issues[0];
      throw encodeRefusal("ROOM_BAD_OPTIONS", `${issue?.message ?? "invalid"} at ${issue?.path.join(".") || "(root)"}`);
    }
    if (matchmade.success) {
      const { matchId, teams, mode, noShow, minPlayers, connectTimeoutS } = matchmade.data;
      if (teams.length !== this.teamCount) throw encodeRefusal("ROOM_BAD_OPTIONS", `expected ${this.teamCount} teams, got ${teams.length}`);
      this.matchId = matchId;
      this.mode = mode ?? null;
      this.matchAttributes = matchmade.data.attributes ?? {};
      this.matchRegion = matchmade.data.region ?? this.services.region;
      this.backfillUntilS = matchmade.data.backfill?.untilS ?? null;
      this.openSeats = new Array<number>(this.teamCount).fill(0);
      this.noShow = noShow;
      if (minPlayers !== undefined) this.minPlayers = minPlayers;
      if (connectTimeoutS !== undefined) {
        this.connectTimeoutMs = connectTimeoutS * 1000;
        this.seatReservationTimeout = connectTimeoutS;
      }
      this.expected = new Map(teams.flatMap((ids, team) => ids.map((id) => [id, team] as const)));
      this.createdAtMs = Date.now();
      this.maxClients = this.expected.size;
      this.setPrivate(true);
      this.clock.setTimeout(() => this.onConnectTimeout(), this.connectTimeoutMs);
    } else {
      this.matchId = this.roomId;
      this.maxClients = this.maxPlayers;
    }
    this.setState(this.createState());
    const bots = matchmade.success ? matchmade.data.bots ?? [] : [];
    bots.forEach((count, team) => {
      if (count > 0 && !this.addBots(team, count)) throw encodeRefusal("ROOM_BAD_OPTIONS", `${this.roomName} has no bots`);
      this.botSeats += count;
    });
    // Spread: filterBy values live in the metadata and a plain assignment would wipe them.
    this.setMetadata({ ...this.metadata, matchId: this.matchId, mode: this.mode, region: this.services.region, matchmade: this.expected !== null });
    this.registerInputs();
    this.onMessage("*", (client: Client, type: string | number) => {
      this.services.observer.messageRejected(this.roomName, "unknown-type");
      this.sendError(client, "UNKNOWN_MESSAGE", `no message type "${String(type)}" in ${this.roomName}`);
    });
  }

  override onJoin(client: Client, _options: unknown, auth?: PlayerIdentity): void {
    if (!auth) throw encodeRefusal("AUTH_MISSING_TOKEN", "no identity");
    if (this.phase === MatchPhase.ENDED) throw encodeRefusal("MATCH_OVER", "the match is over");
    for (const p of this.players.values()) {
      if (p.playerId === auth.playerId && p.present) throw encodeRefusal("ALREADY_IN_MATCH", "this player already has a seat here");
    }
    let team: number;
    if (this.expected) {
      const expectedTeam = this.expected.get(auth.playerId);
      if (expectedTeam === undefined) throw encodeRefusal("NOT_EXPECTED", "this match was made for other players");
      team = expectedTeam;
    } else {
      team = this.smallestTeam();
    }
    const admission = this.admissions.get(auth.playerId);
    if (admission) {
      admission.timer.clear();
      this.admissions.delete(auth.playerId);
    }
    const player: MatchPlayer = {
      sessionId: client.sessionId, playerId: auth.playerId, name: auth.name, team, connected: true, present: true,
      ...(admission && this.phase === MatchPhase.PLAYING ? { joinedAtMs: this.elapsedMs } : {}),
    };
    this.players.set(client.sessionId, player);
    this.onPlayerJoin(client, player);
    this.maybeStart();
  }

  override onDrop(client: Client): void {
    const player = this.players.get(client.sessionId);
    if (!player || this.phase === MatchPhase.ENDED) return;
    player.connected = false;
    this.onPlayerConnectionChange(player);
    const windowS = this.reconnectWindowS ?? this.services.reconnectWindowS;
    this.heldUntil.set(client.sessionId, Date.now() + windowS * 1000);
    // On failure Colyseus calls onLeave; nothing to await here.
    this.allowReconnection(client, windowS).catch(() => undefined);
  }

  override onReconnect(client: Client): void {
    const player = this.players.get(client.sessionId);
    if (!player) return;
    this.heldUntil.delete(client.sessionId);
    player.connected = true;
    this.onPlayerReconnect(client, player);
    this.onPlayerConnectionChange(player);
  }

  override onLeave(client: Client): void {
    this.heldUntil.delete(client.sessionId);
    const player = this.players.get(client.sessionId);
    if (!player) return;
    player.connected = false;
    player.present = false;
    if (this.phase === MatchPhase.WAITING && !this.expected) {
      this.players.delete(client.sessionId); // an open room frees the slot before the game starts
    }
    this.onPlayerConnectionChange(player);
    if (this.phase === MatchPhase.PLAYING && this.presentPlayers() === 0 && this.admissions.size === 0) {
      this.endMatch("abandoned", "aborted");
      return;
    }
    // left for good (the reconnection window is over, or the player left on purpose): refill the seat
    if (this.phase === MatchPhase.PLAYING) this.openSeatsOn(player.team, 1);
  }

  // ---- backfill ------------------------------------------------------------------------------

  /**
   * Declare `count` more open seats on `team` for the matchmaker to fill (modes with `backfill`, while
   * playing and within `untilS` of the start): e.g. a game that wants a human in place of a bot. Rally
   * opens a seat by itself whenever a player leaves for good. Returns false when backfill is off or over.
   */
  protected openSeatsOn(team: number, count: number): boolean {
    if (!this.backfillOpen() || !Number.isInteger(team) || team < 0 || team >= this.teamCount || !(count > 0)) return false;
    if (!this.hasOpenSeats()) this.openedAt = Date.now();
    this.openSeats[team]! += count;
    this.publishBackfill();
    return true;
  }

  private hasOpenSeats(): boolean {
    return this.openSeats.some((n) => n > 0);
  }

  /** May seats still be refilled: a matchmade room of a backfill mode, playing, young enough, not draining. */
  private backfillOpen(): boolean {
    return this.backfillUntilS !== null && this.phase === MatchPhase.PLAYING && !this.draining && !!this.services.matchmaking?.backfill
      && Date.now() < this.startedAtMs + this.backfillUntilS * 1000;
  }

  /** Tell the matchmaker what is open now (nothing open, or backfill over: the opening is withdrawn). */
  private publishBackfill(): void {
    const hook = this.services.matchmaking?.backfill;
    if (!hook || this.backfillUntilS === null || !this.mode) return;
    if (!this.backfillOpen()) this.openSeats.fill(0);
    const teams = this.openSeats.map((open, team) => ({
      players: [
        ...[...this.players.values()].filter((p) => p.present && p.team === team).map((p) => p.playerId),
        ...[...this.admissions].filter(([, a]) => a.team === team).map(([id]) => id),
      ],
      open,
    }));
    const opening: BackfillOpening = {
      matchId: this.matchId, roomId: this.roomId, mode: this.mode, region: this.matchRegion, teams,
      ...(Object.keys(this.matchAttributes).length ? { attributes: this.matchAttributes as BackfillOpening["attributes"] } : {}),
      openedAt: this.openedAt || Date.now(), untilMs: this.startedAtMs + this.backfillUntilS * 1000,
    };
    hook(opening).catch((err: unknown) => this.services.logger.warn({ err, matchId: this.matchId }, "backfill opening not recorded"));
  }

  /**
   * The matchmaker seats these waiting players in open seats (a remote room call from the leader of the
   * match's queue, any node; never a client). True: their seats are theirs now (the leader reserves
   * them next); false: those seats are no longer open (filled, the match ended or is too old, draining)
   * and nothing changed. A player admitted but not connected within the connect timeout loses the seat,
   * which opens again.
   */
  admitBackfill(raw: unknown): boolean {
    const parsed = backfillAdmissionSchema.safeParse(raw);
    if (!parsed.success || !this.expected || !this.backfillOpen()) return false;
    const { players } = parsed.data;
    // one player named twice would take two seats with one admission (the second seat never reopens)
    if (new Set(players.map((p) => p.playerId)).size !== players.length) return false;
    const need = new Array<number>(this.teamCount).fill(0);
    for (const p of players) {
      if (p.team >= this.teamCount) return false;
      need[p.team]!++;
    }
    if (need.some((n, team) => n > this.openSeats[team]!)) return false;
    const here = new Set([...this.players.values()].filter((p) => p.present).map((p) => p.playerId));
    if (players.some((p) => here.has(p.playerId) || this.admissions.has(p.playerId))) return false;
    need.forEach((n, team) => { this.openSeats[team]! -= n; });
    if (!this.hasOpenSeats()) this.openedAt = 0;
    for (const p of players) {
      this.expected.set(p.playerId, p.team);
      const timer = this.clock.setTimeout(() => this.admissionExpired(p.playerId), this.connectTimeoutMs);
      this.admissions.set(p.playerId, { team: p.team, timer });
    }
    // room for the reserved seats the leader asks for next (Colyseus counts clients plus reservations)
    this.maxClients = Math.max(this.maxClients, this.clients.length + reservedSeatCount(this) + players.length);
    this.services.logger.info({ matchId: this.matchId, players: players.map((p) => p.playerId), teams: need }, "backfill admitted");
    this.publishBackfill();
    return true;
  }

  /** A backfilled player did not come: its ticket ends (a no-show) and the seat opens again. */
  private admissionExpired(playerId: string): void {
    const a = this.admissions.get(playerId);
    if (!a) return;
    this.admissions.delete(playerId);
    this.expected?.delete(playerId);
    this.services.matchmaking?.noShow({ matchId: this.matchId, mode: this.mode ?? this.roomName, present: [], missing: [playerId], requeue: false })
      .catch((err: unknown) => this.services.logger.warn({ err, matchId: this.matchId }, "no-show hook failed"));
    if (this.phase === MatchPhase.PLAYING && this.presentPlayers() === 0 && this.admissions.size === 0) {
      this.endMatch("abandoned", "aborted");
      return;
    }
    this.openSeatsOn(a.team, 1);
  }

  /**
   * The seat this match holds for `playerId`, for a rejoin: the player lost its client (crash,
   * reinstall) and with it the reconnection token, and asks with its access token (the node checked
   * it; `POST /v1/matches/current/seat`). Called over Colyseus' remote room call from any node, never
   * by a client. A seat is held while its player is connected (a stale connection the reconnection
   * will close), dropped within the reconnection window, or not connected yet with its seat
   * reservation unused; never once the player left for good or the match is over. The answer's token
   * only works with that player's access token (rooms/guard.ts), and Colyseus' reconnection brings the
   * same session back (`onReconnect`): same team, same state.
   */
  heldSeat(playerId: string): HeldSeat | null {
    if (this.phase === MatchPhase.ENDED) return null;
    for (const p of this.players.values()) {
      if (p.playerId !== playerId || !p.present) continue;
      const token = seatReconnectionToken(this, p.sessionId);
      if (token === null) return null;
      const heldUntil = p.connected ? undefined : this.heldUntil.get(p.sessionId);
      return { team: p.team, connected: p.connected, reconnectionToken: token, ...(heldUntil !== undefined ? { heldUntil } : {}) };
    }
    const team = this.expected?.get(playerId);
    if (team === undefined || (this.phase !== MatchPhase.WAITING && !this.admissions.has(playerId))) return null;
    const sessionId = unusedReservationOf(this, playerId);
    return sessionId === null ? null : { team, connected: false, sessionId, heldUntil: this.createdAtMs + this.connectTimeoutMs };
  }

  override onBeforeShutdown(): void {
    this.draining = true;
    this.publishBackfill(); // a draining node takes nobody new
    if (this.phase === MatchPhase.WAITING && !this.expected) {
      // Nothing started: let the players matchmake onto a node that stays.
      void this.disconnect(CloseCode.SERVER_SHUTDOWN);
      return;
    }
    this.broadcast(MatchMessage.DRAINING, { endsWithinS: this.services.drainTimeoutS });
    this.clock.setTimeout(() => this.endMatch("drain-timeout", "aborted"), this.services.drainTimeoutS * 1000);
  }

  /**
   * A game handler that throws (an input handler, a step, a clock callback) is logged and the room
   * goes on; the node never crashes for one room's bug. Deliberately not Colyseus' `onUncaughtException`:
   * defining it makes Colyseus wrap every handler, the fixed-step callback included, in a generic
   * rest-args try/catch, which `npm run bench:rooms` measured at ~12% of the arena's tick time. The
   * try/catch here sits in MatchRoom's own closures instead. (Lifecycle hooks need nothing: a throw in
   * onJoin refuses that join, and Colyseus logs a throw in onLeave or onDispose.)
   */
  protected reportFault(err: unknown, where: string): void {
    this.services.logger.error({ err, room: this.roomName, roomId: this.roomId, method: where }, "room handler failed");
  }

  /** Clock callbacks (the base class' timers and any the game sets) report a throw instead of crashing the node. */
  private containClockFaults(): void {
    const clock = this.clock;
    const setTimeout = clock.setTimeout.bind(clock);
    const setInterval = clock.setInterval.bind(clock);
    // Colyseus types timer callbacks as `Function`.
    const guard = (cb: Function, where: string) => (...args: unknown[]) => {
      try {
        (cb as (...a: unknown[]) => void)(...args);
      } catch (err) {
        this.reportFault(err, where);
      }
    };
    clock.setTimeout = (cb, ms, ...args) => setTimeout(guard(cb, "clock.setTimeout"), ms, ...args);
    clock.setInterval = (cb, ms, ...args) => setInterval(guard(cb, "clock.setInterval"), ms, ...args);
  }

  override onDispose(): void {
    // A room torn down mid-match (forced shutdown) still reports, so no result is silently lost.
    if (this.phase === MatchPhase.PLAYING) {
      this.phase = MatchPhase.ENDED;
      if (this.hasOpenSeats()) this.publishBackfill(); // withdrawn: nobody is seated into a disposed room
      void this.report(this.buildResult("disposed", "aborted"));
    }
  }

  override onBeforePatch(): void {
    this.observer ??= this.services.observer;
    this.observer.messagesOut(this.roomName, "patch", this.clients.length);
  }

  /** Keeps Colyseus' per-patch Maps young so the GC stays cheap for a long-running match (rooms/patch-maps.ts). */
  override broadcastPatch(): boolean {
    const changed = super.broadcastPatch();
    renewPatchMaps(this);
    return changed;
  }

  /** Cached `services.observer` for the per-patch and per-tick paths. */
  private observer: RoomServices["observer"] | undefined;

  // ---- internals -------------------------------------------------------------------------------

  get isDraining(): boolean {
    return this.draining;
  }

  private presentPlayers(): number {
    let n = 0;
    for (const p of this.players.values()) if (p.present) n++;
    return n;
  }

  private smallestTeam(): number {
    const sizes = new Array<number>(this.teamCount).fill(0);
    for (const p of this.players.values()) if (p.present) sizes[p.team]++;
    return sizes.indexOf(Math.min(...sizes));
  }

  private startTimer: { clear(): void } | undefined;

  private maybeStart(): void {
    if (this.phase !== MatchPhase.WAITING) return;
    if (this.expected) {
      const connected = [...this.players.values()].filter((p) => p.connected).length;
      if (connected === this.expected.size) this.start();
      return;
    }
    if (this.presentPlayers() >= this.minPlayers && !this.startTimer) {
      this.startTimer = this.clock.setTimeout(() => {
        this.startTimer = undefined;
        if (this.presentPlayers() >= this.minPlayers) this.start();
      }, this.startDelayMs);
    }
  }

  private onConnectTimeout(): void {
    if (this.phase !== MatchPhase.WAITING) return;
    if (this.expected && this.noShow) {
      void this.handleNoShow(this.noShow);
      return;
    }
    if (this.presentPlayers() >= this.minPlayers) this.start();
    else this.endMatch("players-missing", "cancelled");
  }

  /** Matchmade by Rally's queue: bots in the empty seats, or everyone who came back to the queue. */
  private async handleNoShow(policy: "bots" | "requeue"): Promise<void> {
    const expected = this.expected!;
    const presentIds = new Set([...this.players.values()].filter((p) => p.present).map((p) => p.playerId));
    const missing = [...expected.keys()].filter((id) => !presentIds.has(id));
    const present = [...presentIds];
    let requeue = policy === "requeue" || present.length < this.minPlayers;
    if (!requeue) {
      const perTeam = new Array<number>(this.teamCount).fill(0);
      for (const id of missing) perTeam[expected.get(id)!]++;
      requeue = !perTeam.every((n, team) => n === 0 || this.addBots(team, n));
      if (!requeue) this.botSeats += missing.length;
    }
    const hooks = this.services.matchmaking;
    try {
      await hooks?.noShow({ matchId: this.matchId, mode: this.mode ?? this.roomName, present, missing, requeue });
    } catch (err) {
      this.services.logger.warn({ err, matchId: this.matchId }, "no-show hook failed");
    }
    if (this.phase !== MatchPhase.WAITING) return;
    if (!requeue) {
      this.start();
      return;
    }
    // Everyone who came goes back to the queue, at the front (the original enqueue time is kept).
    this.broadcast(MatchMessage.REQUEUE, { matchId: this.matchId, mode: this.mode, reason: "players-missing", missing: missing.length });
    this.endMatch("players-missing", "cancelled");
  }

  private start(): void {
    this.phase = MatchPhase.PLAYING;
    this.startedAt = this.clock.currentTime;
    this.startedAtMs = Date.now();
    if (this.backfillUntilS !== null) {
      // open seats are written again every few seconds: a Redis that restarted without its data, or a
      // write that failed, costs a seat a few seconds, not the rest of the match
      const refresh = this.clock.setInterval(() => { if (this.hasOpenSeats()) this.publishBackfill(); }, BACKFILL_REFRESH_MS);
      // past `untilS` the match is too old to be worth joining: whatever is still open is withdrawn
      this.clock.setTimeout(() => {
        refresh.clear();
        if (this.hasOpenSeats()) this.publishBackfill();
      }, this.backfillUntilS * 1000 + 100);
    }
    this.onMatchStart();
    this.setFixedTimestep(this.fixedStep.bind(this), this.tickRate);
  }

  /** One fixed step while playing; every TICK_TIMING_EVERY-th goes through `timedStep`. */
  private fixedStep(step: StepContext): void {
    if (this.phase !== MatchPhase.PLAYING) return; // ended: the loop only ticks the clock now
    if (step.tick % TICK_TIMING_EVERY === 0) return this.timedStep(step);
    this.runStep(step);
  }

  private timedStep(step: StepContext): void {
    const t0 = performance.now();
    this.runStep(step);
    (this.observer ??= this.services.observer).tickDuration(this.roomName, (performance.now() - t0) / 1000);
  }

  private runStep(step: StepContext): void {
    try {
      this.onStep(step);
    } catch (err) {
      this.reportFault(err, "onStep");
    }
  }

  private buildResult(reason: string, outcome: MatchOutcome): MatchResult {
    const { teams, players } = this.scores();
    const endedAt = Date.now();
    const durationMs = this.startedAt ? this.clock.currentTime - this.startedAt : 0;
    const humanTeams = new Set([...this.players.values()].map((p) => p.team)).size;
    return {
      matchId: this.matchId,
      roomName: this.roomName,
      region: this.services.region,
      mode: this.mode,
      outcome,
      reason,
      startedAt: endedAt - durationMs,
      endedAt,
      durationMs,
      teams: teams.map((score, team) => ({
        team, score,
        playerIds: [...this.players.values()].filter((p) => p.team === team).map((p) => p.playerId),
      })),
      players: [...this.players.values()].map((p) => ({
        playerId: p.playerId, name: p.name, team: p.team, score: players.get(p.sessionId) ?? 0, present: p.present,
        ...(p.joinedAtMs !== undefined ? { joinedAtMs: p.joinedAtMs } : {}),
      })),
      winnerTeam: outcome === "completed" ? winnerTeam(teams) : null,
      // Only matchmade rooms are ranked: an open game's result is history, never rating or rewards.
      ranked: this.expected !== null,
      againstBotsOnly: this.botSeats > 0 && humanTeams <= 1,
    };
  }

  private async report(result: MatchResult): Promise<void> {
    if (this.reported) return;
    this.reported = true;
    const { results, logger, observer } = this.services;
    // The sink is idempotent by matchId, so retrying a failed report is safe.
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        await results.report(result);
        observer.matchReported(this.roomName, result.outcome);
        logger.info({ matchId: result.matchId, outcome: result.outcome, reason: result.reason, durationMs: result.durationMs }, "match result reported");
        return;
      } catch (err) {
        logger.warn({ err, matchId: result.matchId, attempt }, "match result report failed");
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
    logger.error({ matchId: result.matchId, result }, "match result could not be reported; logged here in full");
  }
}

type ConcreteMatchRoom = new () => MatchRoom;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin constructor shape TypeScript requires
type AnyRoomClass = new (...args: any[]) => Room;

/** Verifies the access token and the client's join options; the identity becomes `client.auth`. */
export async function authenticate(services: Pick<RoomServices, "tokens">, joinOptions: z.ZodType, token: string | undefined, options: unknown): Promise<PlayerIdentity> {
  let identity: PlayerIdentity;
  try {
    identity = await services.tokens.verifyAccess(token || undefined);
  } catch (e) {
    throw refusalFrom(e, "AUTH_INVALID_TOKEN");
  }
  const parsed = joinOptions.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw encodeRefusal("ROOM_BAD_OPTIONS", `${issue?.message ?? "invalid"}${issue?.path.length ? ` at ${issue.path.join(".")}` : ""}`);
  }
  return identity;
}

/**
 * Registers a match room class with its services: a subclass whose static onAuth verifies the access
 * token and the client's join options. Closures instead of a module-level singleton, so the wiring
 * stays explicit and tests can bind fakes.
 */
export function bindRoom<C extends ConcreteMatchRoom>(Klass: C, services: RoomServices): C {
  const joinOptions = (Klass as unknown as typeof MatchRoom).joinOptions;
  // Typed as a plain Room so the subclass is concrete to the compiler; at runtime it is Klass.
  const Base = Klass as unknown as AnyRoomClass;
  class Bound extends Base {
    static services = services;
    static async onAuth(token: string, options: unknown): Promise<PlayerIdentity> {
      return authenticate(services, joinOptions, token, options);
    }
  }
  Object.defineProperty(Bound, "name", { value: Klass.name });
  return Bound as unknown as C;
}

/** Same token check for rooms that are not matches (Colyseus' LobbyRoom, RelayRoom); any join options pass through. */
export function requireToken<C extends AnyRoomClass>(Klass: C, services: Pick<RoomServices, "tokens">): C {
  class Guarded extends Klass {
    static async onAuth(token: string, options: unknown): Promise<PlayerIdentity> {
      return authenticate(services, z.record(z.string(), z.unknown()), token, options);
    }
  }
  Object.defineProperty(Guarded, "name", { value: Klass.name });
  return Guarded;
}
