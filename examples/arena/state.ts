import { MapSchema, ArraySchema, schema, t, type SchemaType } from "@colyseus/schema";

export const ArenaPlayer = schema({
  playerId: t.string(),
  name: t.string(),
  team: t.uint8().default(0),
  x: t.float32().default(0),
  y: t.float32().default(0),
  aim: t.float32().default(0),
  hp: t.uint8().default(3),
  score: t.uint16().default(0),
  connected: t.boolean().default(true),
  /** Ms until respawn; 0 when alive. */
  respawnInMs: t.uint16().default(0),
  /** Private: only this player's own StateView sees it. */
  ammo: t.uint8().default(0).view(),
  /** Private: last input sequence applied, for client-side reconciliation. */
  lastSeq: t.uint32().default(0).view(),
}, "ArenaPlayer");
export type ArenaPlayer = SchemaType<typeof ArenaPlayer>;

export const ArenaBullet = schema({
  x: t.float32().default(0),
  y: t.float32().default(0),
  /** Velocity is sent once so clients extrapolate between patches. */
  vx: t.float32().default(0),
  vy: t.float32().default(0),
  team: t.uint8().default(0),
}, "ArenaBullet");
export type ArenaBullet = SchemaType<typeof ArenaBullet>;

export const ArenaState = schema({
  phase: t.string().default("waiting"),
  elapsedMs: t.uint32().default(0),
  timeLimitMs: t.uint32().default(0),
  scoreLimit: t.uint16().default(0),
  teamScores: t.array("uint16"),
  players: t.map(ArenaPlayer),
  bullets: t.map(ArenaBullet),
  winnerTeam: t.int8().default(-1),
}, "ArenaState");
export type ArenaState = SchemaType<typeof ArenaState>;

export { MapSchema, ArraySchema };
