/**
 * The one place that reads `process.env`. Everything else receives a frozen `Config`.
 * A bad value stops the process with one line naming the variable (see `ConfigError`).
 */
import { z } from "zod";

const port = z.coerce.number().int().min(1).max(65535);
const seconds = z.coerce.number().int().min(1);
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

export const configSchema = z.object({
  PORT: port.default(2567),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Region label of this node: lower-case words joined by dashes (`eu-west`, `local`). */
  REGION: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "lower-case letters, digits and dashes, at most 32").default("local"),
  /** host[:port][/path] clients use to reach this node's WebSockets; unset = same host as the HTTP call. */
  PUBLIC_ADDRESS: optional(z.string().regex(/^[A-Za-z0-9.\-\[\]:]+(\/[A-Za-z0-9._\-/]*)?$/, "host[:port][/path] without a scheme")),
  REDIS_URL: optional(z.string().regex(/^rediss?:\/\/.+/, "a redis:// or rediss:// URL")),
  MONGO_URL: optional(z.string().regex(/^mongodb(\+srv)?:\/\/.+/, "a mongodb:// URL")),
  DATA_DIR: z.string().min(1).default("./data"),
  JWT_SECRET: optional(z.string().min(32, "at least 32 characters")),
  ADMIN_TOKEN: optional(z.string().min(16, "at least 16 characters")),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ACCESS_TOKEN_TTL_S: seconds.default(900),
  REFRESH_TOKEN_TTL_S: seconds.default(30 * 24 * 3600),
  /** How long a dropped player's seat is kept in a match room. */
  RECONNECT_WINDOW_S: seconds.max(600).default(20),
  /** How long a node waits after a drain request (SIGTERM) for its matches to end before it closes them. */
  DRAIN_TIMEOUT_S: seconds.default(900),
  /** Most rooms this node hosts; placement skips a full node. */
  ROOM_CAPACITY: z.coerce.number().int().min(1).default(500),
  /** Requests per minute per client address on the auth routes. */
  AUTH_RATE_PER_MIN: z.coerce.number().int().min(1).default(30),
  /** Serve the browser demo at `/`. */
  SERVE_DEMO: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`Invalid environment variable ${variable}: ${detail}`);
    this.name = "ConfigError";
  }
}

/** Validates the environment (or any record, for tests) into a frozen Config; throws ConfigError on the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0] ?? "?");
    const got = env[variable];
    throw new ConfigError(variable, `${issue.message}${got === undefined ? "" : ` (got ${JSON.stringify(got)})`}`);
  }
  return Object.freeze(parsed.data);
}
