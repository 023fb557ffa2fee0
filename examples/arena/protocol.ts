import { baseJoinOptionsSchema, z } from "rally/server";

/** The `input` message. Strict: an extra key (a player id, a position) is refused, never ignored. */
export const arenaInputSchema = z.object({
  seq: z.number().int().min(0).max(2 ** 32 - 1),
  x: z.number().min(-1).max(1),
  y: z.number().min(-1).max(1),
  aim: z.number().min(-Math.PI * 2).max(Math.PI * 2),
  fire: z.boolean(),
}).strict();

/** Arena accepts no join options from clients. */
export const arenaJoinOptionsSchema = baseJoinOptionsSchema;
