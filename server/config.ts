/**
 * The one place that reads `process.env`. Everything else receives a frozen `Config`.
 * A bad value stops the process with one line naming the variable (see `ConfigError`).
 */
import { z } from "zod";

const port = z.coerce.number().int().min(1).max(65535);
const seconds = z.coerce.number().int().min(1);
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

/** https, or plain http to a loopback host (a local test issuer); anything else could be spoofed on the wire. */
const secureUrl = z.string().url().refine((v) => {
  const u = new URL(v);
  return u.protocol === "https:" || (u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname));
}, "an https:// URL (http:// only to 127.0.0.1 or localhost)");

/** One OpenID Connect provider of OIDC_PROVIDERS (README "Platform sign-in"). */
export const oidcProviderSchema = z.object({
  /** Stable key stored with each linked identity and used in the API (`google`, `apple`); never rename it. */
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "lower-case letters, digits, '_' or '-', at most 32")
    .refine((n) => n !== "steam", "\"steam\" is the Steam provider's name"),
  /** The `iss` the provider's ID tokens carry, e.g. https://accounts.google.com. */
  issuer: secureUrl,
  /** Your client id(s) at the provider: the token's `aud` must be one of them. */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** The provider's key set; unset = the `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  jwksUrl: secureUrl.optional(),
  /** Accepted signature algorithms (asymmetric only). */
  algorithms: z.array(z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"])).min(1).optional(),
}).strict();
export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;

const oidcProviders = z.string().default("[]").transform((v, ctx) => {
  let raw: unknown;
  try {
    raw = JSON.parse(v);
  } catch {
    ctx.addIssue({ code: "custom", message: "not JSON; expected a list like [{\"name\":\"google\",\"issuer\":\"https://accounts.google.com\",\"audience\":\"<client id>\"}]" });
    return z.NEVER;
  }
  const parsed = z.array(oidcProviderSchema).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    ctx.addIssue({ code: "custom", message: `${issue?.path.join(".") || "value"}: ${issue?.message ?? "invalid"}` });
    return z.NEVER;
  }
  const names = parsed.data.map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) {
    ctx.addIssue({ code: "custom", message: `provider name "${dup}" is used twice` });
    return z.NEVER;
  }
  return Object.freeze(parsed.data.map((p) => Object.freeze(p)));
});

export const configSchema = z.object({
  PORT: port.default(2567),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Region label of this node: lower-case words joined by dashes (`eu-west`, `local`). */
  REGION: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "lower-case letters, digits and dashes, at most 32").default("local"),
  /** host[:port][/path] clients use to reach this node's WebSockets; unset = same host as the HTTP call. */
  PUBLIC_ADDRESS: optional(z.string().regex(/^[A-Za-z0-9.\-\[\]:]+(\/[A-Za-z0-9._\-/]*)?$/, "host[:port][/path] without a scheme")),
  REDIS_URL: optional(z.string().regex(/^rediss?:\/\/.+/, "a redis:// or rediss:// URL")),
  MONGO_URL: optional(z.string().regex(/^mongodb(\+srv)?:\/\/.+/, "a mongodb:// URL")),
  /** PostgreSQL store (production; every node of a cluster shares it). */
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\/.+/, "a postgres:// or postgresql:// URL")),
  /** Optional streaming replica for lag-tolerant reads (others' profiles, leaderboards); needs DATABASE_URL. */
  DATABASE_READ_URL: optional(z.string().regex(/^postgres(ql)?:\/\/.+/, "a postgres:// or postgresql:// URL")),
  /** Hash partitions per player-keyed table; used only when the schema is first created (recorded in rally_settings). */
  DATABASE_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(8),
  /** Connections per node to the primary (and as many to the replica). */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  /** How long opening a database connection may take before the call fails. */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** Run a clustered node (REDIS_URL set) on its own SQLite file anyway: experiments only, player data then differs per node. */
  ALLOW_PER_NODE_STORE: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** Directory of one SQLite file every node on THIS machine opens (`npm run cluster` sets it); counts as a shared store. */
  SHARED_SQLITE_DIR: optional(z.string().min(1)),
  /** Store circuit breaker: consecutive connection failures (or timeouts) that open it; while open the API answers 503 STORE_UNAVAILABLE at once. */
  STORE_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
  /** How long the breaker stays open before one probe call is let through. */
  STORE_BREAKER_OPEN_MS: z.coerce.number().int().min(100).max(300_000).default(5000),
  /** A store call slower than this counts as a failure and answers 503 (the call itself is not cancelled). */
  STORE_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(2000),
  DATA_DIR: z.string().min(1).default("./data"),
  JWT_SECRET: optional(z.string().min(32, "at least 32 characters")),
  ADMIN_TOKEN: optional(z.string().min(32, "at least 32 characters")),
  /** `development` accepts placeholder-looking JWT_SECRET / ADMIN_TOKEN values (a laptop); anything else refuses them. */
  RALLY_ENV: z.enum(["production", "development"]).default("production"),
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
  /** Requests per minute per client address on every /v1 route, and per player on authenticated ones. */
  API_RATE_PER_MIN: z.coerce.number().int().min(1).default(600),
  ACCOUNT_RATE_PER_MIN: z.coerce.number().int().min(1).default(300),
  /** Login brute force, per username: failures before answers are slowed, before the username is locked, and for how long. */
  LOGIN_SLOW_AFTER: z.coerce.number().int().min(1).default(3),
  LOGIN_LOCKOUT_AFTER: z.coerce.number().int().min(1).default(10),
  LOGIN_LOCKOUT_S: seconds.default(900),
  /** Browser origins allowed to call the API and matchmaking cross-origin (comma-separated, exact; `*` = any, without credentials). Unset = same-origin only. */
  CORS_ORIGINS: z.string().default("")
    .refine((v) => v.split(",").map((o) => o.trim()).filter(Boolean).every((o) => o === "*" || /^https?:\/\/[^/\s]+$/.test(o)), "comma-separated origins like https://game.example.com (no path), or *")
    .transform((v) => v.split(",").map((o) => o.trim()).filter(Boolean)),
  /** Which proxies' X-Forwarded-For to believe for the client address (rate limits): false, a hop count, or comma-separated addresses/CIDRs/`loopback`. Never "true". */
  TRUST_PROXY: z.string().default("false")
    .refine((v) => v !== "true", "trusting every proxy lets any client pick its address; give a hop count or the proxies' addresses")
    .transform((v): boolean | number | string => (v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v)),
  /** Profile cache TTL (seconds). */
  PROFILE_CACHE_TTL_S: seconds.max(3600).default(300),
  /** Leaderboard seasons: a new season board starts on this schedule (UTC); old seasons stay readable. */
  SEASON_SCHEDULE: z.enum(["monthly", "weekly", "none"]).default("monthly"),
  /** Per-deviceId guest sign-ins per minute (on top of AUTH_RATE_PER_MIN per address). */
  GUEST_DEVICE_RATE_PER_MIN: z.coerce.number().int().min(1).default(10),
  /** Admin requests per minute per client address (every /v1/admin route, on this process). */
  ADMIN_RATE_PER_MIN: z.coerce.number().int().min(1).default(120),
  /** Serve /metrics on this port (and METRICS_HOST) instead of the main port; unset = on the main port. */
  METRICS_PORT: optional(port),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /** When set, /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (>= 32 chars). */
  METRICS_TOKEN: optional(z.string().min(32, "at least 32 characters")),
  /** Serve the browser demo at `/`. */
  SERVE_DEMO: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
  /** Name the pool manager gives this node (shown in the registry); unset for a hand-started node. */
  NODE_NAME: optional(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and dashes")),
  /** After a stop request, exit anyway once no room is left for this long (or DRAIN_TIMEOUT_S + this), even if Redis hangs. */
  SHUTDOWN_GRACE_S: seconds.max(600).default(10),
  /** How long room placement waits for a node of the region to appear (a cold start) before refusing; 0 = refuse at once. */
  PLACEMENT_WAIT_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  /** Placement: nodes whose load score (worse of CPU / PLACEMENT_CPU_FULL and event-loop p99 / PLACEMENT_LAG_FULL_MS) is under this are packed; above it, the least loaded node wins. */
  PLACEMENT_PACK_BELOW: z.coerce.number().gt(0).max(10).default(0.5),
  /** Placement: process CPU (fraction of one core) that counts as a full node. */
  PLACEMENT_CPU_FULL: z.coerce.number().gt(0).max(64).default(0.85),
  /** Placement: event-loop delay p99 (ms) that counts as a full node. */
  PLACEMENT_LAG_FULL_MS: z.coerce.number().gt(0).max(10_000).default(100),
  /** Matchmaker: seconds a matchmade room waits for its players (seat + connect); unset = the mode's readyCheck (15 s). */
  MM_CONNECT_TIMEOUT_S: optional(z.coerce.number().min(1).max(300)),
  /** Matchmaker: seconds a dropped queue connection may come back before its ticket is cancelled. */
  MM_QUEUE_GRACE_S: z.coerce.number().min(0).max(120).default(10),
  /** Matchmaker: matcher lease TTL (ms); a dead leader is replaced within about this long. */
  MM_LEASE_TTL_MS: z.coerce.number().int().min(500).max(60_000).default(3000),

  /** Node registry: a node whose heartbeat is older than this is dead (placement skips it, the reaper cleans up after it); heartbeats every third of it. */
  NODE_TTL_MS: z.coerce.number().int().min(1000).max(600_000).default(6000),
  /** Social: a player's presence entry lives this long without a refresh (its node refreshes every third of it); a dead node's players go offline within it. */
  PRESENCE_TTL_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  /** Social: friend, party and relay changes per player per minute (reads count against ACCOUNT_RATE_PER_MIN only). */
  SOCIAL_RATE_PER_MIN: z.coerce.number().int().min(1).default(120),
  /** Social: most players one player may block, and most pending friend requests one player may receive. */
  FRIENDS_MAX_BLOCKED: z.coerce.number().int().min(1).max(100_000).default(500),
  FRIENDS_MAX_INCOMING: z.coerce.number().int().min(1).max(100_000).default(200),

  // ---- chat and inbox (server/chat) ------------------------------------------------------------
  /** Longest chat message, in characters (code points). */
  CHAT_MAX_LENGTH: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Chat messages per player per minute, over all channels (cluster-wide with Redis); above it CHAT_RATE_LIMITED. */
  CHAT_RATE_PER_MIN: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Chat history is kept this many days, then pruned. */
  CHAT_RETENTION_DAYS: z.coerce.number().min(0.0001).max(36_500).default(30),
  /** Inbox notifications are kept this many days (read or not), then pruned. */
  INBOX_RETENTION_DAYS: z.coerce.number().min(0.0001).max(36_500).default(90),
  /** How often each node prunes expired chat and inbox rows (idempotent deletes in bounded batches). */
  CHAT_PRUNE_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(3_600_000),

  // ---- room and connection limits (server/node/guard.ts, rooms/guard.ts) ----------------------
  /** Client matchmaking calls (`POST /matchmake/*`) per minute per player; per address they share API_RATE_PER_MIN's budget size. */
  MATCHMAKE_RATE_PER_MIN: z.coerce.number().int().min(1).default(60),
  /** Rooms a player may create from a client (`create`, or a `joinOrCreate` that created one) per minute. */
  ROOM_CREATES_PER_MIN: z.coerce.number().int().min(1).default(10),
  /** Distinct rooms a player holds at once (seat reservations and connections, cluster-wide with Redis). */
  MAX_ROOMS_PER_PLAYER: z.coerce.number().int().min(1).max(100).default(5),
  /** Connections (and pending seats) a player holds at once across all rooms (cluster-wide with Redis). */
  MAX_CONNECTIONS_PER_PLAYER: z.coerce.number().int().min(1).max(1000).default(8),
  /** Messages per second per client in a room that sets no limit of its own (the lobby); above it the client is closed (4002). */
  ROOM_MAX_MESSAGES_PER_S: z.coerce.number().int().min(1).max(1000).default(10),
  /** Most rooms one lobby listing (`rooms` message) carries. */
  LOBBY_MAX_LISTED: z.coerce.number().int().min(1).max(10_000).default(100),
  /** A WebSocket whose unsent data passes this many bytes (a client that stops reading) is dropped. */
  MAX_SEND_BUFFER_BYTES: z.coerce.number().int().min(16 * 1024).default(2 * 1024 * 1024),

  // ---- platform sign-in (server/auth/platform, README "Platform sign-in") ---------------------
  /** OpenID Connect providers for POST /v1/auth/oidc, as JSON: [{"name","issuer","audience","jwksUrl?","algorithms?"}]. */
  OIDC_PROVIDERS: oidcProviders,
  /** Clock skew allowed on exp, nbf and iat of platform ID tokens. */
  OIDC_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
  /** An ID token older than this (by iat) is refused even before its exp; also how long its replay record is kept. */
  OIDC_MAX_TOKEN_AGE_S: z.coerce.number().int().min(60).max(24 * 3600).default(3600),
  /** After an unknown key id, the key set is fetched again (key rotation) at most once per this many seconds. */
  OIDC_JWKS_COOLDOWN_S: z.coerce.number().int().min(0).max(3600).default(30),
  /** Steam sign-in (POST /v1/auth/steam): your app id; set together with STEAM_WEB_API_KEY. */
  STEAM_APP_ID: optional(z.string().regex(/^[1-9][0-9]{0,9}$/, "a Steam app id (digits)")),
  /** Publisher Web API key (ISteamUserAuth/AuthenticateUserTicket needs a publisher key). */
  STEAM_WEB_API_KEY: optional(z.string().regex(/^[A-Za-z0-9]{16,128}$/, "a Steam Web API key (letters and digits)")),
  /** Steam Web API base URL (a stand-in in tests). */
  STEAM_API_URL: secureUrl.default("https://partner.steam-api.com"),
  /** The identity string the client passed to GetAuthTicketForWebApi; unset for tickets from GetAuthSessionTicket. */
  STEAM_IDENTITY: optional(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "1 to 64 of A-Za-z0-9_.:-")),

  // ---- pool manager (`npm run cluster`, server/pool/) -----------------------------------------
  /** Regions the pool manager keeps nodes in, comma-separated. */
  POOL_REGIONS: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}(,[a-z0-9][a-z0-9-]{0,31})*$/, "comma-separated region labels").default("eu-west,us-east")
    .transform((v) => v.split(",")),
  /** Per-region floor and ceiling of nodes (the admin API can change them per region at run time). */
  POOL_MIN_NODES: z.coerce.number().int().min(0).max(1000).default(1),
  POOL_MAX_NODES: z.coerce.number().int().min(1).max(1000).default(4),
  /** Free room slots kept ready per region (Agones' buffer). */
  POOL_WARM_ROOMS: z.coerce.number().int().min(0).default(10),
  /** ROOM_CAPACITY given to the nodes the pool starts. */
  POOL_NODE_CAPACITY: z.coerce.number().int().min(1).default(50),
  POOL_SCALE_UP_UTILIZATION: z.coerce.number().gt(0).max(1).default(0.7),
  POOL_SCALE_DOWN_UTILIZATION: z.coerce.number().min(0).lt(1).default(0.3),
  /** Utilization must stay under the scale-down threshold this long before a node is drained. */
  POOL_SCALE_DOWN_AFTER_S: seconds.default(900),
  /** Oldest queue wait (from the matchmaker, when it publishes one) that triggers a scale-up. */
  POOL_QUEUE_WAIT_UP_S: seconds.default(60),
  /** JSON list of peaks: [{"cron":"0 18 * * *","region":"eu-west","minNodes":3,"leadS":1800,"durationS":7200}] (UTC). */
  POOL_SCHEDULE: z.string().default("[]"),
  /** Seasonal-average demand forecast: off, shadow (metrics only) or on (may add nodes, never removes). */
  POOL_FORECAST: z.enum(["off", "shadow", "on"]).default("shadow"),
  POOL_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** Longest the manager waits for a draining node's matches before it sends SIGTERM (the node then drains by itself, DRAIN_TIMEOUT_S). */
  POOL_DRAIN_MAX_S: seconds.default(900),
  /** Node provider: local child processes, Docker containers or Agones GameServers. */
  POOL_PROVIDER: z.enum(["local", "docker", "agones"]).default("local"),
  /** Manager HTTP port: /metrics, /healthz and the pool admin routes. */
  POOL_PORT: port.default(2600),
  /** Host part of the PUBLIC_ADDRESS the pool gives its nodes (local provider: host; docker: host[:port] of the load balancer). */
  POOL_PUBLIC_HOST: z.string().min(1).default("127.0.0.1"),
  /** Where the local provider keeps its node list (for adoption after a restart), node data and logs. */
  POOL_STATE_DIR: z.string().min(1).default("./data/pool"),
  /** Crash-loop back-off: first delay, doubled per consecutive crash, capped. */
  POOL_CRASH_BACKOFF_S: seconds.default(2),
  POOL_CRASH_BACKOFF_MAX_S: seconds.default(300),
  POOL_DOCKER_IMAGE: z.string().min(1).default("rally-node:latest"),
  POOL_DOCKER_NETWORK: z.string().min(1).default("rally"),
  POOL_AGONES_NAMESPACE: z.string().min(1).default("default"),
});

/** The README's example secret, shipped in docs and copied into real deploys. */
export const README_EXAMPLE_SECRET = "change-me-to-32-or-more-characters!!";
const PLACEHOLDER_WORDS = ["changeme", "replace", "insert", "goeshere", "realvalue", "placeholder", "example", "yoursecret", "mysecret", "supersecret", "secretkey", "jwtsecret", "password", "xxxxx", "todo", "fixme", "default"];

/**
 * Why a secret looks like a well-known or made-up value (null when it does not): the README example,
 * a placeholder word, or too few distinct characters ("xxxx...", "secretsecret...", "abab...").
 */
export function placeholderReason(value: string): string | null {
  if (value === README_EXAMPLE_SECRET) return "is the README's example value";
  const letters = value.toLowerCase().replace(/[^a-z]/g, "");
  const word = PLACEHOLDER_WORDS.find((w) => letters.includes(w) || value.toLowerCase().includes(w));
  if (word) return `looks like a placeholder (contains "${word}")`;
  if (new Set(value).size < 10) return "has fewer than 10 distinct characters";
  return null;
}

/** Outside development, refuse placeholder-looking secrets (generate one: `openssl rand -hex 32`). */
const withSecretChecks = configSchema.superRefine((c, ctx) => {
  if (c.RALLY_ENV === "development") return;
  for (const key of ["JWT_SECRET", "ADMIN_TOKEN", "METRICS_TOKEN"] as const) {
    const v = c[key];
    const reason = v === undefined ? null : placeholderReason(v);
    if (reason) ctx.addIssue({ code: "custom", path: [key], message: `${reason}; use a random value (openssl rand -hex 32), or RALLY_ENV=development on a laptop` });
  }
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
  const parsed = withSecretChecks.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0] ?? "?");
    // Never echo a secret into logs, even a refused one.
    const got = ["JWT_SECRET", "ADMIN_TOKEN", "METRICS_TOKEN", "STEAM_WEB_API_KEY"].includes(variable) ? undefined : env[variable];
    throw new ConfigError(variable, `${issue.message}${got === undefined ? "" : ` (got ${JSON.stringify(got)})`}`);
  }
  const data = parsed.data;
  if (data.DATABASE_URL && data.MONGO_URL) throw new ConfigError("DATABASE_URL", "set DATABASE_URL (PostgreSQL) or MONGO_URL (MongoDB), not both");
  if (data.DATABASE_READ_URL && !data.DATABASE_URL) throw new ConfigError("DATABASE_READ_URL", "a read replica needs DATABASE_URL (the primary)");
  if (Boolean(data.STEAM_APP_ID) !== Boolean(data.STEAM_WEB_API_KEY)) {
    throw new ConfigError(data.STEAM_APP_ID ? "STEAM_WEB_API_KEY" : "STEAM_APP_ID", "Steam sign-in needs both STEAM_APP_ID and STEAM_WEB_API_KEY");
  }
  return Object.freeze(data);
}

/** The environment a spawned game node inherits (PATH, locale, ...), so that only this file reads process.env. */
export function inheritedEnvironment(): Readonly<Record<string, string | undefined>> {
  return { ...process.env };
}
