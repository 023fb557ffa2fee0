/**
 * Pool admin routes under `/v1/admin` (Bearer ADMIN_TOKEN; not mounted at all when it is unset):
 *   GET  /v1/admin/nodes                   every registry entry (dead ones flagged)
 *   POST /v1/admin/nodes/:nodeId/drain     drain one node (by nodeId or NODE_NAME)
 *   GET  /v1/admin/regions                 per-region min/max overrides
 *   PUT  /v1/admin/regions/:region         { min, max }: the pool manager applies it on its next step
 * Mounted on every game node and on the pool manager; they share state through presence. Unknown
 * admin paths fall through, so other `/v1/admin` routes can live elsewhere. Every `/v1/admin` request
 * counts against ADMIN_RATE_PER_MIN per address (mounted here, before any admin router), and the
 * token is checked before a body is parsed.
 */
import express, { type Application, type NextFunction, type Request, type Response } from "express";
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { RallyError } from "../errors.ts";
import { isDecodeError } from "./common.ts";
import { isAlive, type NodeCommands, type NodeRegistry, type PoolLimitsStore } from "../registry/index.ts";

export interface AdminDeps {
  readonly adminToken: string | undefined;
  readonly registry: NodeRegistry;
  readonly commands: NodeCommands;
  readonly limits: PoolLimitsStore;
  /** ADMIN_RATE_PER_MIN: requests per minute per client address on every `/v1/admin` route of this app. */
  readonly ratePerMin: number;
  readonly now?: () => number;
}

const limitsBody = z.object({ min: z.number().int().min(0).max(1000), max: z.number().int().min(1).max(1000) }).strict()
  .refine((v) => v.max >= v.min, { message: "max must be >= min" });
const regionParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/);

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given), b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Bearer ADMIN_TOKEN check every `/v1/admin` router uses (pool routes here, player routes in admin-players.ts). */
export function adminGuard(token: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    if (!header?.startsWith("Bearer ")) return next(new RallyError("AUTH_MISSING_TOKEN", "Authorization: Bearer <ADMIN_TOKEN> required"));
    if (!sameToken(header.slice(7), token)) return next(new RallyError("FORBIDDEN", "wrong admin token"));
    next();
  };
}

export function mountAdminApi(app: Application, deps: AdminDeps): Application {
  const token = deps.adminToken;
  if (!token) return app;
  const now = deps.now ?? Date.now;
  // One budget per address for all of /v1/admin (these pool routes and the player routes mounted
  // after them), so a token cannot be guessed at line rate. In memory: per process.
  const perMin = deps.ratePerMin;
  const budget = new RateLimiterMemory({ keyPrefix: "admin", points: perMin, duration: 60 });
  app.use("/v1/admin", (req: Request, res: Response, next: NextFunction) => {
    budget.consume(req.ip ?? req.socket.remoteAddress ?? "unknown").then(() => next(), (r: unknown) => {
      if (!(r instanceof RateLimiterRes)) return next(r);
      const s = Math.ceil(r.msBeforeNext / 1000);
      const e = new RallyError("RATE_LIMITED", `too many admin requests (limit ${perMin}/min); retry in ${s} s`, { retryAfterS: s });
      res.setHeader("Retry-After", String(s));
      res.status(e.status).json(e.toBody());
    });
  });
  const router = express.Router();
  // The token is checked before the body is read: an unauthenticated caller never reaches the parser.
  router.use(adminGuard(token));
  router.use(express.json({ limit: "4kb" }));
  const route = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

  router.get("/nodes", route(async (_req, res) => {
    const t = now();
    const nodes = (await deps.registry.list()).map((e) => ({ ...e, alive: isAlive(e, t, deps.registry.ttlMs) }));
    nodes.sort((a, b) => a.region.localeCompare(b.region) || a.nodeId.localeCompare(b.nodeId));
    res.json({ nodes });
  }));

  router.post("/nodes/:nodeId/drain", route(async (req, res) => {
    const key = String(req.params.nodeId);
    const entry = (await deps.registry.list()).find((e) => e.nodeId === key || e.name === key);
    if (!entry) throw new RallyError("NOT_FOUND", `no node "${key}" in the registry`);
    await deps.commands.drain(entry.nodeId);
    res.status(202).json({ nodeId: entry.nodeId, name: entry.name ?? null, state: "draining" });
  }));

  router.get("/regions", route(async (_req, res) => {
    res.json({ regions: await deps.limits.all() });
  }));

  router.put("/regions/:region", route(async (req, res) => {
    const region = regionParam.safeParse(req.params.region);
    if (!region.success) throw new RallyError("BAD_REQUEST", "region: lower-case letters, digits and dashes");
    const body = limitsBody.safeParse(req.body ?? {});
    if (!body.success) {
      const issue = body.error.issues[0];
      throw new RallyError("BAD_REQUEST", `${issue?.path.length ? `${issue.path.join(".")}: ` : ""}${issue?.message ?? "invalid body"}`);
    }
    await deps.limits.set(region.data, body.data);
    res.json({ region: region.data, ...body.data });
  }));

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof RallyError) return void res.status(err.status).json(err.toBody());
    if (typeof err === "object" && err !== null && (("type" in err && "status" in err) || isDecodeError(err))) {
      return void res.status(400).json(new RallyError("BAD_REQUEST", "body is not valid JSON").toBody());
    }
    next(err);
  });
  app.use("/v1/admin", router);
  return app;
}
