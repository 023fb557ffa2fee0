/**
 * One load-test player over the official @colyseus/sdk: a guest login (POST /v1/auth/guest), then in a
 * loop: join `queue`, on `seat` send `confirm` and consume the reservation (client-sdk/queue.ts's flow),
 * play the arena with valid inputs (examples/arena/protocol.ts) and WebSocket pings, leave when the match
 * ends or after `playS`, pause, queue again. Everything observed goes to a `PlayerSink`.
 */
import { randomBytes } from "node:crypto";
import { Client, type Room } from "@colyseus/sdk";
import { toRoomError } from "../client-sdk/errors.ts";
import { QueueMessage } from "../protocol/messages.ts";
import type { PlayerConfig } from "./protocol.ts";

export interface PlayerSink {
  seat(player: string, waitMs: number, roomId: string, node: string, host: string): void;
  unseat(player: string, roomId: string, code: number, at: number): void;
  doubleSeat(player: string, rooms: [string, string]): void;
  rtt(ms: number): void;
  error(code: string): void;
  requeue(): void;
}

export type PlayerState = "auth" | "queued" | "playing" | "idle";

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve();
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal?.removeEventListener("abort", done); resolve(); }
  signal?.addEventListener("abort", done, { once: true });
});

/** The code of anything thrown by fetch, the SDK or a room refusal. */
export function errorCode(e: unknown): string {
  if (e instanceof HttpError) return e.code;
  const cause = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof cause === "string") return cause; // ECONNREFUSED, ECONNRESET from fetch
  const err = toRoomError(e);
  // The SDK's "Room connection was closed unexpectedly (4002)": name the close code.
  const closed = err.code === "ROOM_ERROR" ? /closed unexpectedly \((\d+)\)/.exec(err.message) : null;
  if (closed) return `ROOM_CLOSED_${closed[1]}`;
  // An uncoded failure keeps the gist of its message (ids and numbers dropped) so runs can be compared.
  return err.code === "ROOM_ERROR" ? `ROOM_ERROR(${err.message.replace(/[0-9a-f]{6,}|\d+/gi, "#").slice(0, 60)})` : err.code;
}

class HttpError extends Error {
  constructor(readonly code: string, message: string) { super(message); }
}

interface ArenaView { phase?: string }

type SeatReservation = Parameters<Client["consumeSeatReservation"]>[0];

export class LoadPlayer {
  state: PlayerState = "idle";
  queuedSince = 0;
  /** The node of the current (or last) queue join. */
  queuedVia = "";
  readonly id: string;
  private token = "";
  private readonly abort = new AbortController();
  private current: Room | undefined;
  private done: Promise<void> | undefined;

  constructor(private target: () => string, private readonly config: PlayerConfig, private readonly sink: PlayerSink) {
    this.id = `lt-${randomBytes(6).toString("hex")}`;
  }

  start(): void {
    this.done = this.loop();
  }

  /** Leaves whatever room it is in (consented) and ends the loop. */
  async stop(): Promise<void> {
    this.abort.abort();
    const room = this.current;
    if (room?.connection?.isOpen) await Promise.race([room.leave(true).catch(() => undefined), sleep(3000)]);
    await Promise.race([this.done, sleep(5000)]);
  }

  private get stopped(): boolean { return this.abort.signal.aborted; }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const base = this.target();
      try {
        if (!this.token) await this.login(base);
        await this.cycle(base);
        await sleep(this.config.thinkS * 1000, this.abort.signal);
      } catch (e) {
        if (this.stopped) break;
        const code = errorCode(e);
        this.sink.error(code);
        if (code.startsWith("AUTH_")) this.token = "";
        this.state = "idle";
        await sleep(1000 + Math.random() * 1000, this.abort.signal); // back off, then queue again
      }
    }
    this.state = "idle";
  }

  private async login(base: string): Promise<void> {
    this.state = "auth";
    const res = await fetch(`${base}/v1/auth/guest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ deviceId: this.id }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.json().catch(() => ({})) as { token?: string; error?: { code?: string; message?: string } };
    if (res.status !== 200 || !body.token) throw new HttpError(body.error?.code ?? `HTTP_${res.status}`, body.error?.message ?? "guest login failed");
    this.token = body.token;
  }

  /** One queue -> seat -> play -> leave round. */
  private async cycle(base: string): Promise<void> {
    const client = new Client(base);
    client.auth.token = this.token;
    this.state = "queued";
    this.queuedSince = Date.now();
    this.queuedVia = base;
    const queue = await client.joinOrCreate("queue", { mode: this.config.mode });
    this.current = queue;
    if (this.stopped) return void (await queue.leave(true).catch(() => undefined));
    const reservation = await this.awaitSeat(queue);
    if (!reservation) return;
    const match = await client.consumeSeatReservation(reservation);
    this.current = match;
    const ws = new URL(match.connection.url ?? base);
    this.sink.seat(this.id, Date.now() - this.queuedSince, match.roomId, base, ws.host);
    // A few quick reconnection attempts (about 3 s), then queue again: a dead host must not hold the player for a minute.
    match.reconnection.maxRetries = 3;
    match.reconnection.maxDelay = 1000;
    this.state = "playing";
    if (this.stopped) return void (await match.leave(true).catch(() => undefined));
    await this.play(match);
  }

  /** The seat reservation, or null when the wait was cancelled or timed out (the queue room is left). */
  private awaitSeat(queue: Room): Promise<SeatReservation | null> {
    return new Promise<SeatReservation | null>((resolve, reject) => {
      let settled = false;
      let seatRoom = "";
      const finish = (r: SeatReservation | null, err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abort.signal.removeEventListener("abort", onAbort);
        if (!r && queue.connection?.isOpen) void queue.leave(true).catch(() => undefined);
        if (err) reject(err); else resolve(r);
      };
      const onAbort = () => finish(null);
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(() => finish(null, new HttpError("LOADTEST_QUEUE_TIMEOUT", "no seat in time")), this.config.queueTimeoutS * 1000);
      queue.onMessage(QueueMessage.STATUS, (s: { state?: string; reason?: string }) => {
        if (s.state === "cancelled") finish(null, new HttpError(s.reason ?? "MM_CANCELLED", "ticket cancelled"));
      });
      queue.onMessage(QueueMessage.ERROR, (e: { code?: string; message?: string }) => finish(null, new HttpError(e.code ?? "MM_ERROR", e.message ?? "queue error")));
      queue.onMessage(QueueMessage.SEAT, (seat: SeatReservation & { roomId?: string; room?: { roomId?: string } }) => {
        const roomId = seat.roomId ?? seat.room?.roomId ?? "";
        if (seatRoom && roomId && roomId !== seatRoom) this.sink.doubleSeat(this.id, [seatRoom, roomId]);
        if (settled) return;
        seatRoom = roomId;
        queue.send(QueueMessage.CONFIRM); // the server closes the queue connection, as Colyseus' QueueRoom does
        finish(seat);
      });
      queue.onLeave((code: number) => finish(null, new HttpError("MM_QUEUE_CLOSED", `queue connection closed (${code})`)));
    });
  }

  private play(match: Room): Promise<void> {
    return new Promise<void>((resolve) => {
      let seq = 0;
      let droppedAt = 0;
      let done = false;
      const view = () => match.state as ArenaView | undefined;
      const inputs = this.config.inputHz > 0 ? setInterval(() => {
        if (view()?.phase !== "playing" || !match.connection?.isOpen) return;
        match.send("input", {
          seq: ++seq,
          x: Math.random() * 2 - 1,
          y: Math.random() * 2 - 1,
          aim: (Math.random() * 2 - 1) * Math.PI,
          fire: Math.random() < 0.3,
        });
      }, 1000 / this.config.inputHz) : undefined;
      const pings = setInterval(() => {
        if (!match.connection?.isOpen) return;
        match.ping((ms) => this.sink.rtt(ms));
      }, this.config.pingEveryS * 1000);
      let dropTimer: NodeJS.Timeout | undefined;
      /** The match is over for this player; `unseatCode` when it lost the match (not ended, not left). */
      const finish = (unseatCode: number | null) => {
        if (done) return;
        done = true;
        clearInterval(inputs);
        clearInterval(pings);
        clearTimeout(leaveAfter);
        clearTimeout(dropTimer);
        this.abort.signal.removeEventListener("abort", onAbort);
        if (unseatCode !== null) this.sink.unseat(this.id, match.roomId, unseatCode, droppedAt || Date.now());
        this.current = undefined;
        this.state = "idle";
        resolve();
      };
      // Leaving a dropped room would wait on a dead host: a dropped player has lost its seat.
      const leave = (reason: "us" | "requeue") => {
        if (droppedAt) return finish(reason === "us" ? 4003 : null);
        void match.leave(true).catch(() => undefined);
        finish(null);
      };
      const leaveAfter = this.config.playS > 0 ? setTimeout(() => leave("us"), this.config.playS * 1000) : undefined;
      const onAbort = () => {
        if (!droppedAt) void match.leave(true).catch(() => undefined);
        finish(null);
      };
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
      match.onMessage("requeue", () => {
        this.sink.requeue();
        leave("requeue");
      });
      match.onMessage("*", () => undefined);
      match.onDrop(() => {
        if (!droppedAt) droppedAt = Date.now();
        // The SDK retries a few times; if it has not reconnected by then, the seat is gone.
        clearTimeout(dropTimer);
        dropTimer = setTimeout(() => finish(4003), 8000);
      });
      match.onReconnect(() => { droppedAt = 0; clearTimeout(dropTimer); });
      match.onLeave((code: number) => finish(view()?.phase === "ended" ? null : code));
    });
  }
}
