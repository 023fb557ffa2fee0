/** POOL_SCHEDULE (JSON) into schedule entries; a bad value is a ConfigError naming the variable. */
import { z } from "zod";
import { ConfigError } from "../config.ts";
import { parseCron } from "./cron.ts";
import type { ScheduleEntry } from "./policy.ts";

const entrySchema = z.object({
  cron: z.string().min(9).max(100),
  region: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
  minNodes: z.number().int().min(0).max(1000),
  leadS: z.number().int().min(0).max(24 * 3600).default(1800),
  durationS: z.number().int().min(60).max(7 * 24 * 3600).default(3600),
}).strict();

export function parseScheduleJson(json: string): ScheduleEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConfigError("POOL_SCHEDULE", "not valid JSON");
  }
  const parsed = z.array(entrySchema).max(100).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError("POOL_SCHEDULE", `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  for (const e of parsed.data) {
    try {
      parseCron(e.cron);
    } catch (err) {
      throw new ConfigError("POOL_SCHEDULE", (err as Error).message);
    }
  }
  return parsed.data;
}
