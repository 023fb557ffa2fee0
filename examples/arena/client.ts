/**
 * The arena's client: a joined `arena` room with typed state, throttled input, and one event stream for
 * everything the room says (state patches, the result, errors, draining, drops and reconnects).
 * Built on Rally's SDK (`rally/sdk`, client-sdk/) the way a studio builds its own game's handle; the demo
 * page (client-sdk/demo/) plays with it.
 *
 *   const rally = new RallyClient("https://play.example.com");
 *   await rally.auth.guest({ deviceId });
 *   const arena = await joinArena(rally);
 *   arena.on("state", (s) => draw(s));
 *   arena.sendInput({ x: 1, y: 0, aim: 0, fire: false });
 */
import type { Room } from "@colyseus/sdk";
import { Emitter, type DrainingNotice, type MatchPhase, type MatchResult, type RallyClient, type RoomMessageError, type SyncedMap } from "rally/sdk";
import { ARENA, type ArenaInput } from "./constants.ts";
import type { ArenaState } from "./state.ts";

export { ARENA };
export type { ArenaInput, DrainingNotice, MatchResult, RoomMessageError, SyncedMap };

export type ArenaPhase = MatchPhase;

export interface ArenaPlayerView {
  readonly playerId: string;
  readonly name: string;
  readonly team: number;
  readonly x: number;
  readonly y: number;
  readonly aim: number;
  readonly hp: number;
  readonly score: number;
  readonly connected: boolean;
  /** Ms until respawn; 0 when alive. */
  readonly respawnInMs: number;
  /** Private (StateView): set on your own player only; undefined on everyone else. */
  readonly ammo?: number;
  /** Private: the last input `seq` the server applied for you; undefined on everyone else. */
  readonly lastSeq?: number;
}

export interface ArenaBulletView {
  readonly x: number;
  readonly y: number;
  readonly vx: number;
  readonly vy: number;
  readonly team: number;
}

export interface ArenaStateView {
  readonly phase: ArenaPhase;
  readonly elapsedMs: number;
  readonly timeLimitMs: number;
  readonly scoreLimit: number;
  readonly teamScores: ArrayLike<number> & Iterable<number>;
  /** Keyed by sessionId. */
  readonly players: SyncedMap<ArenaPlayerView>;
  /** Keyed by bullet id. */
  readonly bullets: SyncedMap<ArenaBulletView>;
  /** -1 until the match ends with a single winner. */
  readonly winnerTeam: number;
}

// Compile-time guard that the view above still matches the server schema (types only, nothing bundled).
type Expect<T extends true> = T;
export type _ArenaViewMatchesServer = Expect<Omit<ArenaState, "phase"> extends Omit<ArenaStateView, "phase"> ? true : false>;

/** An input to send; `seq` is filled in from the handle's counter when omitted. */
export type ArenaInputDraft = Omit<ArenaInput, "seq"> & { seq?: number };

export type ArenaEvents = {
  /** After every state patch (and once on join). */
  state: (state: ArenaStateView) => void;
  result: (result: MatchResult) => void;
  error: (error: RoomMessageError) => void;
  draining: (notice: DrainingNotice) => void;
  /** The connection dropped; the SDK is reconnecting on its own. */
  drop: (code: number, reason?: string) => void;
  /** Back in the same seat (same sessionId) after a drop. */
  reconnect: () => void;
  /** Gone for good: consented leave, match closed, or reconnection gave up. */
  leave: (code: number, reason?: string) => void;
};

/** The SDK room as this module uses it; typed loosely on the room side, strictly on the state side. */
export type ArenaRoom = Room<unknown, ArenaStateView>;

export interface ArenaHandleOptions {
  /**
   * The SDK refuses to auto-reconnect a room joined less than `minUptime` ago (5 s by default, to
   * avoid reconnect loops); a shooter drops early often enough that we allow it sooner.
   */
  reconnectMinUptimeMs?: number;
  reconnectMaxRetries?: number;
}

// Stay well under the room's per-second message cap: going over it gets the client kicked.
const MIN_INPUT_INTERVAL_MS = Math.ceil(1000 / (ARENA.maxMessagesPerSecond * 0.75));

export class ArenaHandle {
  private readonly events = new Emitter<ArenaEvents>();
  private seq = 0;
  private lastSentAt = -Infinity;
  private pending: ArenaInput | null = null;
  private lastSent: ArenaInput | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private left = false;
  /** The SDK builds an empty state from the handshake before the first full state arrives; hide it until then. */
  private synced = false;

  constructor(readonly room: ArenaRoom, options: ArenaHandleOptions = {}) {
    room.reconnection.minUptime = options.reconnectMinUptimeMs ?? 1000;
    if (options.reconnectMaxRetries !== undefined) room.reconnection.maxRetries = options.reconnectMaxRetries;
    room.onStateChange((state) => {
      this.synced = true;
      this.events.emit("state", state);
    });
    room.onMessage("result", (result: MatchResult) => this.events.emit("result", result));
    room.onMessage("error", (error: RoomMessageError) => this.events.emit("error", error));
    room.onMessage("draining", (notice: DrainingNotice) => this.events.emit("draining", notice));
    room.onError((code, message) => this.events.emit("error", { code: `ROOM_ERROR_${code}`, message: message ?? "room error" }));
    room.onDrop((code, reason) => this.events.emit("drop", code, reason));
    room.onReconnect(() => {
      // The server idles a dropped player; resend the latest input so a held key keeps moving it.
      if (this.lastSent && !this.pending) this.sendInput({ ...this.lastSent, seq: undefined });
      this.events.emit("reconnect");
    });
    room.onLeave((code, reason) => {
      this.left = true;
      clearTimeout(this.timer);
      this.events.emit("leave", code, reason);
      this.events.clear();
    });
  }

  get sessionId(): string {
    return this.room.sessionId;
  }

  get roomId(): string {
    return this.room.roomId;
  }

  /** `roomId:token`: keep it (e.g. in sessionStorage) to `reconnectArena` after a page reload. */
  get reconnectionToken(): string {
    return this.room.reconnectionToken;
  }

  /** True while the SDK is trying to get a dropped connection back. */
  get reconnecting(): boolean {
    return this.room.reconnection.isReconnecting;
  }

  /** The synced state; undefined only before the first patch arrives. */
  get state(): ArenaStateView | undefined {
    return this.synced ? this.room.state : undefined;
  }

  get phase(): ArenaPhase {
    return this.state?.phase ?? "waiting";
  }

  /** Your own player, including the private fields (ammo, lastSeq). */
  get me(): ArenaPlayerView | undefined {
    return this.state?.players.get(this.room.sessionId);
  }

  on<K extends keyof ArenaEvents>(event: K, listener: ArenaEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Send your stick, aim and trigger. Values are clamped to what the server accepts; calls faster than
   * the room's message cap are coalesced (the server applies the latest input anyway). Returns the
   * input as it will be sent, with its `seq`.
   */
  sendInput(draft: ArenaInputDraft): ArenaInput {
    const seq = draft.seq ?? (this.seq + 1) % 2 ** 32;
    this.seq = seq;
    const input: ArenaInput = {
      seq,
      x: clampUnit(draft.x),
      y: clampUnit(draft.y),
      aim: Number.isFinite(draft.aim) ? Math.atan2(Math.sin(draft.aim), Math.cos(draft.aim)) : 0,
      fire: Boolean(draft.fire),
    };
    if (this.left) return input;
    this.pending = input;
    const wait = this.lastSentAt + MIN_INPUT_INTERVAL_MS - now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
    return input;
  }

  /** Leave for good (no reconnection). */
  async leave(): Promise<void> {
    if (this.left) return;
    clearTimeout(this.timer);
    await this.room.leave(true);
  }

  private flush(): void {
    this.timer = undefined;
    const input = this.pending;
    if (!input || this.left) return;
    this.pending = null;
    this.lastSentAt = now();
    this.lastSent = input;
    this.room.send("input", input);
  }
}

function clampUnit(v: number): number {
  return Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/** Join (or create) an open arena. Refuses with RallyRoomError (e.g. AUTH_INVALID_TOKEN). */
export async function joinArena(rally: RallyClient, options: ArenaHandleOptions = {}): Promise<ArenaHandle> {
  return new ArenaHandle(await rally.joinOrCreate<ArenaStateView>("arena"), options);
}

/** Take back an arena seat after a page reload, with the handle's `reconnectionToken` kept from before. */
export async function reconnectArena(rally: RallyClient, reconnectionToken: string, options: ArenaHandleOptions = {}): Promise<ArenaHandle> {
  return new ArenaHandle(await rally.reconnect<ArenaStateView>(reconnectionToken), options);
}
