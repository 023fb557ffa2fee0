/** Messages between the coordinator and its worker processes (JSON over the fork IPC channel). */

export interface PlayerConfig {
  mode: string;
  playS: number;
  thinkS: number;
  queueTimeoutS: number;
  inputHz: number;
  pingEveryS: number;
}

export type ToWorker =
  | { type: "init"; worker: number; targets: string[]; config: PlayerConfig }
  /** Run this many players (start new ones or stop the newest). */
  | { type: "players"; count: number }
  /** Change the node list (a chaos fault removed or restored a node); running players keep their node until their next cycle. */
  | { type: "targets"; targets: string[] }
  | { type: "stop" };

/** A player got its match room (seat message received, confirmed, reservation consumed). */
/** `node` is the node the player queued through, `host` (host:port) the process hosting the match. */
export interface SeatEvent { player: string; at: number; waitMs: number; roomId: string; node: string; host: string }
/** A player's match connection closed before the match ended and without the player leaving. */
export interface UnseatEvent { player: string; at: number; roomId: string; code: number }
/** A player's queue connection received a second seat for another room (a ticket matched twice). */
export interface DoubleSeatEvent { player: string; at: number; rooms: [string, string] }

export interface WorkerReport {
  type: "report";
  worker: number;
  at: number;
  /** Players running (authenticated and cycling). */
  active: number;
  queued: number;
  playing: number;
  seats: SeatEvent[];
  unseats: UnseatEvent[];
  doubleSeats: DoubleSeatEvent[];
  /** WebSocket ping round trips (ms) since the last report. */
  rtts: number[];
  /** Errors since the last report by code. */
  errors: Record<string, number>;
  /** Requeue messages (a match lacking players sent everyone back to the queue). */
  requeues: number;
  /** player -> when its current queue wait started (ms epoch) and the node it queued through, for everyone waiting now. */
  waiting: Record<string, { since: number; node: string }>;
  /** CPU this worker process used since the last report (ms): is the load generator itself saturated? */
  cpuMs: number;
  final: boolean;
}

export type FromWorker = WorkerReport;
