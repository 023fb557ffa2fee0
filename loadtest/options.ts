/**
 * The load tool's options (CLI flags, zod-validated) and the schedule they describe: ramp from 0 to
 * `players`, hold them (steady), jump to `spikePlayers` (spike), then back to `players` (recover).
 */
import { z } from "zod";

const seconds = z.coerce.number().min(0).max(86_400);
const url = z.string().url().refine((u) => /^https?:\/\//.test(u), "an http(s):// URL");

export const loadOptionsSchema = z.object({
  /** Node base URLs; each player uses one (round robin). Required unless `cluster` is set. */
  targets: z.array(url).default([]),
  /** Start a local cluster of this many nodes (+ private Redis + shared store) instead of `targets`. */
  cluster: z.coerce.number().int().min(1).max(16).optional(),
  /** Shared store of the local cluster: one SQLite dir for all nodes, or a private PostgreSQL. */
  store: z.enum(["sqlite", "postgres"]).default("sqlite"),
  /** Concurrent players during the steady phase. */
  players: z.coerce.number().int().min(1).max(100_000).default(100),
  rampS: seconds.default(30),
  steadyS: seconds.default(60),
  /** Players during the spike (0 = no spike phase). */
  spikePlayers: z.coerce.number().int().min(0).max(100_000).default(0),
  spikeS: seconds.default(0),
  /** After the spike, `players` again for this long. */
  recoverS: seconds.default(0),
  /** Worker processes; each runs its share of the players. */
  workers: z.coerce.number().int().min(1).max(64).default(2),
  mode: z.string().min(1).default("arena"),
  /** Leave a match after this long even if it has not ended (0 = stay until the match ends). */
  playS: seconds.default(30),
  /** Pause between a match and the next queue join. */
  thinkS: seconds.default(1),
  /** Give up a queue wait after this long (counted as LOADTEST_QUEUE_TIMEOUT) and queue again. */
  queueTimeoutS: seconds.default(120),
  /** Inputs per second each playing player sends (the arena allows 40). */
  inputHz: z.coerce.number().min(0).max(30).default(10),
  /** A WebSocket ping (message round trip) every this many seconds per playing player. */
  pingEveryS: z.coerce.number().min(0.2).max(600).default(2),
  /** Bearer token for the nodes' /metrics (METRICS_TOKEN), when they require one. */
  metricsToken: z.string().optional(),
  /** /metrics URLs when they are not `<target>/metrics` (METRICS_PORT), same order as targets. */
  metricsUrls: z.array(url).default([]),
  /** Where the PNG chart goes ("" = no chart). */
  chart: z.string().default("loadtest-report.png"),
  /** Progress line interval on stderr. */
  progressEveryS: z.coerce.number().min(0.5).max(600).default(5),
}).strict().superRefine((o, ctx) => {
  if (o.cluster === undefined && o.targets.length === 0) ctx.addIssue({ code: "custom", message: "give --targets <url[,url...]> or --cluster <n>", path: ["targets"] });
  if (o.cluster !== undefined && o.targets.length > 0) ctx.addIssue({ code: "custom", message: "--targets and --cluster exclude each other", path: ["cluster"] });
  if (o.spikePlayers > 0 && o.spikeS === 0) ctx.addIssue({ code: "custom", message: "--spike-players needs --spike-s", path: ["spikeS"] });
  if (o.metricsUrls.length > 0 && o.metricsUrls.length !== o.targets.length) ctx.addIssue({ code: "custom", message: "--metrics-urls needs one URL per target", path: ["metricsUrls"] });
});

export type LoadOptions = z.infer<typeof loadOptionsSchema>;
export type LoadOptionsInput = z.input<typeof loadOptionsSchema>;

const LIST_FLAGS = new Set(["targets", "metricsUrls"]);

/** `--players 300 --targets a,b --ramp-s 10` -> validated options; throws a one-line message naming the flag. */
export function parseArgs(argv: readonly string[]): LoadOptions {
  return validate(loadOptionsSchema, parseFlags(argv, LIST_FLAGS));
}

/** `--kebab-case value` / `--flag=value` pairs -> camelCase keys; `lists` are split on commas. */
export function parseFlags(argv: readonly string[], lists: ReadonlySet<string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument "${arg}" (flags look like --players 300)`);
    const key = m[1]!.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    raw[key] = lists.has(key) ? value.split(",").map((s) => s.trim()).filter(Boolean) : value;
  }
  return raw;
}

/** Validates with `schema`; a failure becomes one line naming the flag. */
export function validate<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ` : "";
    throw new Error(`${flag}${issue.message}`);
  }
  return parsed.data;
}

export interface Phase { name: "ramp" | "steady" | "spike" | "recover"; startS: number; endS: number }

export function phases(o: Pick<LoadOptions, "rampS" | "steadyS" | "spikePlayers" | "spikeS" | "recoverS">): Phase[] {
  const out: Phase[] = [];
  let t = 0;
  const add = (name: Phase["name"], s: number) => { if (s > 0) out.push({ name, startS: t, endS: (t += s) }); };
  add("ramp", o.rampS);
  add("steady", o.steadyS);
  if (o.spikePlayers > 0) {
    add("spike", o.spikeS);
    add("recover", o.recoverS);
  }
  return out;
}

/** Players wanted `t` seconds into the run, and the phase (null after the last phase). */
export function targetAt(o: Pick<LoadOptions, "players" | "rampS" | "steadyS" | "spikePlayers" | "spikeS" | "recoverS">, tS: number): { players: number; phase: Phase["name"] | null } {
  for (const p of phases(o)) {
    if (tS >= p.endS) continue;
    if (p.name === "ramp") return { players: Math.max(1, Math.ceil(o.players * (tS - p.startS) / (p.endS - p.startS))), phase: p.name };
    return { players: p.name === "spike" ? o.spikePlayers : o.players, phase: p.name };
  }
  return { players: 0, phase: null };
}

export function totalSeconds(o: Parameters<typeof phases>[0]): number {
  return phases(o).at(-1)?.endS ?? 0;
}
