/**
 * The HTTP surface of a node: `/v1` JSON API (auth in auth-routes.ts, players, history, inventory
 * and leaderboards in players-routes.ts, player admin in admin-players.ts), health and readiness,
 * Prometheus metrics, and the browser demo. Errors are `{ error: { code, message } }` with the
 * catalog's status.
 *
 * Gateway: helmet headers on `/v1`; CORS from CORS_ORIGINS (cors.ts); JSON bodies only, at most
 * 16 kB; per-address limits on every `/v1` route and per-account limits on authenticated ones; the
 * client address comes from TRUST_PROXY (express "trust proxy"), never from an unchecked header.
 */
import express, { type Application, type NextFunction, type Request, type Response, type Router } from "express";
import helmet from "helmet";
import { RallyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/index.ts";
import type { TokenService } from "../auth/index.ts";
import type { PlatformAuth } from "../auth/platform/index.ts";
import type { NodeState } from "../registry/index.ts";
import type { PlayerServices } from "../players/index.ts";
import { authRouter } from "./auth-routes.ts";
import { playersRouter } from "./players-routes.ts";
import { mountPlayerAdminApi } from "./admin-players.ts";
import { clientIp, errorHandler, requireJsonBody, route } from "./common.ts";
import { metricsHandler } from "./metrics-endpoint.ts";
import { corsHeadersFor } from "./cors.ts";

export interface HttpDeps {
  tokens: TokenService;
  players: PlayerServices;
  metrics: Metrics;
  logger: Logger;
  region: string;
  processId: () => string;
  state: () => NodeState;
  corsOrigins: readonly string[];
  /** express "trust proxy" (TRUST_PROXY). */
  trustProxy: boolean | number | string;
  adminToken?: string;
  /** Folders served at `/` (the demo page and the SDK bundle): built assets only, never .ts sources or source maps. */
  staticDirs: readonly string[];
  /** False when METRICS_PORT moves /metrics off the main port. */
  metricsOnMainPort?: boolean;
  /** METRICS_TOKEN: /metrics then needs this Bearer token. */
  metricsToken?: string;
  /** Platform sign-in (OIDC_PROVIDERS, STEAM_*): `/v1/auth/oidc`, `/v1/auth/steam`, `/v1/auth/identities`. */
  platform?: PlatformAuth;
  /** After an admin ban: close the player's open connections (every node). */
  onBan?: (playerId: string) => Promise<void>;
  /** Extra routes mounted on the /v1 router after Rally's own (the studio's, from createRally). */
  routes?: (v1: Router) => void;
}

/** What the demo folders may serve: the page, its built scripts and styles, images. */
const STATIC_ASSET = /(^|\/)[^/]*\.(html|js|css|png|svg|ico|jpg|webp|woff2)$|\/$/;

export function mountHttpApi(app: Application, deps: HttpDeps): void {
  const { tokens, metrics, logger, players } = deps;

  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy);
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", (_req, res) => {
    const state = deps.state();
    const body = { status: state, region: deps.region, processId: deps.processId() };
    res.status(state === "ready" ? 200 : 503).json(state === "ready" ? body : { ...body, error: { code: "NOT_READY", message: `node is ${state}` } });
  });
  // With METRICS_PORT set, /metrics lives on its own listener (server/node) and not here.
  if (deps.metricsOnMainPort ?? true) app.get("/metrics", metricsHandler(metrics, deps.metricsToken));

  mountPlayerAdminApi(app, deps.adminToken, players, logger, deps.onBan);

  const v1 = express.Router();
  v1.use(helmet());
  v1.use((req, res, next) => {
    // Colyseus sets CORS headers on every response of its server; this keeps /v1 right when the
    // router is mounted on another server too, and answers preflights here.
    for (const [k, v] of Object.entries(corsHeadersFor(req.headers.origin ?? null, deps.corsOrigins))) res.setHeader(k, v);
    if (req.method === "OPTIONS") return void res.status(204).end();
    next();
  });
  v1.use((req, res, next) => {
    res.on("finish", () => metrics.httpRequests.inc({ route: (res.locals.routePath as string | undefined) ?? "unmatched", status: String(res.statusCode) }));
    next();
  });
  v1.use((req: Request, _res: Response, next: NextFunction) => {
    players.limits.api(clientIp(req)).then(() => next(), next);
  });
  v1.use(express.json({ limit: "16kb" }));
  v1.use(requireJsonBody);
  v1.use("/auth", authRouter(tokens, players, deps.platform));
  v1.use(playersRouter(tokens, players));
  // The studio's own /v1 routes (createRally `routes`): same CORS, rate limit, JSON body and error shape.
  if (deps.routes) deps.routes(v1);
  v1.use((_req, _res, next) => next(new RallyError("NOT_FOUND", "no such route")));
  v1.use(errorHandler(logger));
  app.use("/v1", v1);

  // Only built assets: the demo folder also holds its TypeScript sources and dist/ the bundles' source
  // maps, which would hand out unminified code to anyone.
  const assets = deps.staticDirs.map((dir) => express.static(dir, { index: "index.html", dotfiles: "ignore" }));
  app.use((req, res, next) => {
    if (!STATIC_ASSET.test(req.path)) return next();
    let i = 0;
    const nextDir = (err?: unknown): void => (err ? next(err) : i < assets.length ? assets[i++]!(req, res, nextDir) : next());
    nextDir();
  });
}
