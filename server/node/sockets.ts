/**
 * The node's WebSocket layer, hardened against clients that misbehave on the wire:
 *
 * - Backpressure: a socket whose unsent data (`ws.bufferedAmount`: what the kernel would not take
 *   because the client stopped reading) passes MAX_SEND_BUFFER_BYTES is dropped at the next send
 *   (terminated: a close frame would only queue behind the backlog). Without it a client that never
 *   reads grows the server's memory by everything its rooms send it.
 * - Malformed input: a frame Colyseus cannot decode, or a WebSocket protocol error, is logged once per
 *   connection at `warn` without a stack and counted in `rally_malformed_frames_total{kind}`; Colyseus
 *   alone logs each one at `error` with a stack, a flood any client can drive.
 */
import { randomBytes } from "node:crypto";
import type { WebSocket } from "ws";
import { CloseCode, type Client } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { Counter, type Registry } from "prom-client";
import type { FrameWatch } from "../../rooms/index.ts";
import type { Logger } from "../log.ts";

export interface SocketGuard {
  readonly frames: FrameWatch;
  /** The logger to give Colyseus: its errors during a client frame's decoding become that client's malformed frame. */
  colyseusLogger(base: Logger): ColyseusLogger;
  /** Round trip to the client over its own connection (a WebSocket ping), or null without an answer within `timeoutMs`. */
  measureRtt(client: Client, timeoutMs?: number): Promise<number | null>;
  /** A WebSocketTransport with backpressure and quiet socket errors. */
  transport(options: { maxPayload: number }): WebSocketTransport;
}

export interface ColyseusLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  trace(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The first line of whatever Colyseus logged (its messages are stacks); never the stack itself. */
function firstLine(value: unknown): string {
  const text = value instanceof Error ? value.message : String(value);
  return text.split("\n", 1)[0]!.slice(0, 200);
}

export function createSocketGuard(deps: { logger: Logger; registry: Registry; maxSendBufferBytes: number }): SocketGuard {
  const { logger, maxSendBufferBytes } = deps;
  const malformed = new Counter({ name: "rally_malformed_frames_total", help: "Client frames that could not be decoded or broke the WebSocket protocol, by kind", labelNames: ["kind"], registers: [deps.registry] });
  const slow = new Counter({ name: "rally_slow_clients_dropped_total", help: "Connections dropped because their send buffer passed MAX_SEND_BUFFER_BYTES", registers: [deps.registry] });
  // One warning per connection (the ws object); later ones are only counted.
  const warned = new WeakSet<object>();
  let current: Client | null = null;

  const report = (kind: "decode" | "socket", conn: object, detail: Record<string, unknown>, reason: unknown) => {
    malformed.inc({ kind });
    if (warned.has(conn)) return;
    warned.add(conn);
    logger.warn({ ...detail, kind, reason: firstLine(reason) }, "malformed frame from a client (further ones from this connection are only counted)");
  };

  const frames: FrameWatch = {
    enter(client) { current = client; },
    exit() { current = null; },
    failed(client, err) {
      report("decode", client.ref as object, { sessionId: client.sessionId }, err);
      client.leave(CloseCode.WITH_ERROR);
    },
  };

  const guardSocket = (ws: WebSocket) => {
    // Replace Colyseus' listener, which logs every socket error with its stack.
    ws.removeAllListeners("error");
    ws.on("error", (err) => report("socket", ws, {}, err));
    const send = ws.send.bind(ws) as (data: unknown, options?: unknown, cb?: (err?: Error) => void) => void;
    let dropped = false;
    (ws as unknown as { send: typeof send }).send = (data, options, cb) => {
      if (ws.bufferedAmount > maxSendBufferBytes) {
        if (!dropped) {
          dropped = true;
          slow.inc();
          logger.warn({ bufferedBytes: ws.bufferedAmount, limit: maxSendBufferBytes }, "client not reading: connection dropped");
          ws.terminate();
        }
        if (typeof options === "function") (options as (err?: Error) => void)(new Error("connection dropped: send buffer full"));
        else cb?.(new Error("connection dropped: send buffer full"));
        return;
      }
      send(data, options, cb);
    };
  };

  return {
    frames,
    measureRtt(client, timeoutMs = 1000) {
      const ws = client.ref as unknown as WebSocket;
      if (typeof ws?.ping !== "function" || ws.readyState !== ws.OPEN) return Promise.resolve(null);
      const payload = randomBytes(8);
      return new Promise((resolve) => {
        const t0 = performance.now();
        const done = (rtt: number | null) => {
          clearTimeout(timer);
          ws.off("pong", onPong);
          resolve(rtt);
        };
        const onPong = (data: Buffer) => { if (payload.equals(data)) done(performance.now() - t0); };
        const timer = setTimeout(() => done(null), timeoutMs);
        ws.on("pong", onPong);
        try {
          ws.ping(payload);
        } catch {
          done(null);
        }
      });
    },
    colyseusLogger(base) {
      // Colyseus logs strings (often a stack) or an Error; pino gets an `err` for the latter.
      const line = (level: "debug" | "info" | "trace" | "warn" | "error") => (...args: unknown[]) => {
        const err = args.find((a): a is Error => a instanceof Error);
        const text = args.filter((a) => !(a instanceof Error)).map(String).join(" ");
        if (err) base[level]({ err }, text || err.message);
        else base[level](text);
      };
      const error = line("error");
      return {
        debug: line("debug"), info: line("info"), trace: line("trace"), warn: line("warn"),
        error: (...args) => {
          // Logged while a client's frame is being decoded: that frame was malformed.
          if (current) report("decode", current.ref as object, { sessionId: current.sessionId }, args[0]);
          else error(...args);
        },
      };
    },
    transport(options) {
      class GuardedTransport extends WebSocketTransport {
        constructor() {
          super(options);
          // Runs after Colyseus' own connection listener, which has set up the socket synchronously.
          this.wss.on("connection", guardSocket);
        }
      }
      return new GuardedTransport();
    },
  };
}
