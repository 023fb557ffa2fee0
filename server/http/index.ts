/**
 * The HTTP surface of a node: `/v1` JSON API, health and readiness, Prometheus metrics, and the
 * browser demo. Errors are `{ error: { code, message } }` with the catalog's status.
 */
import express, { type Application, type NextFunction, type Request, type Response } from "express";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { z } from "zod";
import { RallyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/index.ts";
import type { Store } from "../store/index.ts";
import type { TokenService } from "../auth/index.ts";
import type { NodeState } from "../registry/index.ts";


export interface HttpDeps {
  store: Store;
  tokens: TokenService;
  metrics: Metrics;
  logger: Logger;
  region: string;
  processId: () => string;
  state: () => NodeState;
  authRatePerMin: number;
  /** Folders served at `/` (the demo page and the SDK bundle). */
  staticDirs: readonly string[];
}

const guestBody = z.object({
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, "8 to 128 letters, digits, '_' or '-'").optional(),
}).strict();
const refreshBody = z.object({ refreshToken: z.string().min(1).max(4096) }).strict();

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RallyError("BAD_REQUEST", `${issue?.path.length ? `${issue.path.join(".")}: ` : ""}${issue?.message ?? "invalid body"}`);
  }
  return parsed.data;
}

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice(7) : undefined;
}

type Handler = (req: Request, res: Response) => Promise<void>;
const route = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

export function mountHttpApi(app: Application, deps: HttpDeps): void {
  const { store, tokens, metrics, logger } = deps;
  const authLimiter = new RateLimiterMemory({ points: deps.authRatePerMin, duration: 60 });

  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", (_req, res) => {
    const state = deps.state();
    const body = { status: state, region: deps.region, processId: deps.processId() };
    res.status(state === "ready" ? 200 : 503).json(state === "ready" ? body : { ...body, error: { code: "NOT_READY", message: `node is ${state}` } });
  });
  app.get("/metrics", route(async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.text());
  }));

  const v1 = express.Router();
  v1.use(express.json({ limit: "16kb" }));
  v1.use((req, _res, next) => {
    // express.json() leaves other content types unparsed; a body we cannot read is refused, not treated as {}.
    const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
    next(hasBody && !req.is("application/json") ? new RallyError("BAD_REQUEST", "the body must be application/json") : undefined);
  });
  v1.use((req, res, next) => {
    res.on("finish", () => metrics.httpRequests.inc({ route: req.route?.path ?? "unmatched", status: String(res.statusCode) }));
    next();
  });
  const limitAuth = (req: Request, _res: Response, next: NextFunction) => {
    authLimiter.consume(req.ip ?? "unknown").then(
      () => next(),
      () => next(new RallyError("RATE_LIMITED", `at most ${deps.authRatePerMin} auth requests per minute`)),
    );
  };

  v1.post("/auth/guest", limitAuth, route(async (req, res) => {
    const { deviceId } = parse(guestBody, req.body);
    const player = await store.players.guest(deviceId);
    const pair = await tokens.issue({ playerId: player.id, name: player.name });
    res.json({ playerId: player.id, name: player.name, ...pair });
  }));

  v1.post("/auth/refresh", limitAuth, route(async (req, res) => {
    const { refreshToken } = parse(refreshBody, req.body);
    const playerId = await tokens.verifyRefresh(refreshToken);
    const player = await store.players.get(playerId);
    if (!player) throw new RallyError("AUTH_INVALID_TOKEN", "the player no longer exists");
    const pair = await tokens.issue({ playerId: player.id, name: player.name });
    res.json({ playerId: player.id, name: player.name, ...pair });
  }));

  v1.get("/me", route(async (req, res) => {
    const { playerId } = await tokens.verifyAccess(bearer(req));
    const player = await store.players.get(playerId);
    if (!player) throw new RallyError("NOT_FOUND", "no such player");
    res.json({ playerId: player.id, name: player.name, createdAt: new Date(player.createdAt).toISOString() });
  }));

  v1.use((_req, _res, next) => next(new RallyError("NOT_FOUND", "no such route")));
  v1.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let error: RallyError;
    if (err instanceof RallyError) error = err;
    else if (isBodyParserError(err)) error = new RallyError("BAD_REQUEST", err.type === "entity.too.large" ? "body too large" : "body is not valid JSON");
    else {
      logger.error({ err, path: req.path }, "unhandled error in HTTP route");
      error = new RallyError("INTERNAL");
    }
    res.status(error.status).json(error.toBody());
  });
  app.use("/v1", v1);

  for (const dir of deps.staticDirs) app.use(express.static(dir, { index: "index.html" }));
}

function isBodyParserError(e: unknown): e is { type: string } {
  return typeof e === "object" && e !== null && typeof (e as { type?: unknown }).type === "string" && "status" in e;
}
