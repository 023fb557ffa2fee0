/** Arena rules shared by the server simulation and the client (rendering, prediction). No imports: safe in the browser bundle. */
export const ARENA = {
  width: 1000,
  height: 600,
  playerRadius: 16,
  /** Units per second at full stick. */
  speed: 220,
  bulletSpeed: 650,
  bulletRadius: 4,
  bulletLifetimeMs: 1200,
  fireCooldownMs: 250,
  maxAmmo: 10,
  ammoRegenMs: 800,
  maxHp: 3,
  respawnMs: 1500,
  scoreLimit: 15,
  timeLimitMs: 180_000,
  tickRate: 30,
  /** Inputs per second a client may send before Colyseus closes it (WITH_ERROR, 4002). */
  maxMessagesPerSecond: 40,
} as const;

/** What a client sends, at most every frame: a stick direction, an aim angle, a trigger. */
export interface ArenaInput {
  /** Client sequence number, echoed back as `lastSeq` so a client can reconcile its prediction. */
  seq: number;
  /** Stick in [-1, 1] per axis; the server clamps the length to 1. */
  x: number;
  y: number;
  /** Aim angle in radians. */
  aim: number;
  fire: boolean;
}
