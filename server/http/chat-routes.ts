/**
 * Chat history and inbox routes under `/v1` (sending goes over the `social` room):
 *   GET  /v1/chat/:channel/history?before=&limit=   newest first; `before` = a message id (the previous page's nextCursor)
 *   GET  /v1/inbox?before=&limit=&unread=true        items newest first, the unread count
 *   POST /v1/inbox/read  { ids: [...] } | { all: true }
 *   POST /v1/admin/players/:id/inbox  { title, body }  (Bearer ADMIN_TOKEN; not mounted without it)
 * Same CORS headers and per-address / per-account limits as the other player routes; zod at the edge.
 */
import express, { type Application, type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { RallyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/index.ts";
import type { TokenService } from "../auth/index.ts";
import type { Limits } from "../auth/limits.ts";
import type { Store } from "../store/index.ts";
import { SORTABLE_ID, type ChatServices } from "../chat/index.ts";
import { adminGuard } from "./admin.ts";
import { bearer, errorHandler, parse, playerIdParam, route, v1Router } from "./common.ts";

export interface ChatHttpDeps {
  tokens: TokenService;
  chat: ChatServices;
  store: Store;
  limits: Limits;
  metrics: Metrics;
  logger: Logger;
  corsOrigins: readonly string[];
  adminToken?: string;
}

const cursor = z.string().regex(SORTABLE_ID, "a cursor from this API");
const channelParam = z.string().regex(/^(direct:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_-]{1,64})?|party:[A-Za-z0-9_-]{1,64}|match:[A-Za-z0-9_.-]{1,64})$/,
  "direct:<playerId>, party:<partyId> or match:<matchId>");
const historyQuery = z.object({ before: cursor.optional(), limit: z.coerce.number().int().min(1).max(100).default(50) }).strict();
const inboxQuery = z.object({
  before: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  unread: z.enum(["true", "false"]).optional(),
}).strict();
const readBody = z.union([
  z.object({ ids: z.array(cursor).min(1).max(100) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);
const adminMessageBody = z.object({ title: z.string().trim().min(1).max(120), body: z.string().trim().min(1).max(2000) }).strict();

const CHAT_PATHS = /^\/(chat|inbox)(\/|$)/;

export function mountChatApi(app: Application, deps: ChatHttpDeps): Application {
  const { tokens, limits } = deps;
  const { chat, inbox } = deps.chat;
  const router = v1Router({ corsOrigins: deps.corsOrigins, metrics: deps.metrics, limits }, "8kb");
  const me = async (req: Request): Promise<string> => {
    const identity = await tokens.verifyAccess(bearer(req));
    await limits.account(identity.playerId);
    return identity.playerId;
  };

  router.get("/chat/:channel/history", route(async (req, res) => {
    const playerId = await me(req);
    const channel = parse(channelParam, req.params.channel);
    res.json(await chat.history(playerId, channel, parse(historyQuery, req.query)));
  }));
  router.get("/inbox", route(async (req, res) => {
    const playerId = await me(req);
    const q = parse(inboxQuery, req.query);
    res.json(await inbox.list(playerId, { limit: q.limit, before: q.before, unreadOnly: q.unread === "true" }));
  }));
  router.post("/inbox/read", route(async (req, res) => {
    const playerId = await me(req);
    const body = parse(readBody, req.body);
    res.json(await inbox.read(playerId, "all" in body ? "all" : body.ids));
  }));
  router.use(errorHandler(deps.logger));
  app.use("/v1", (req, res, next) => (CHAT_PATHS.test(req.path) ? router(req, res, next) : next()));

  // Mounted after mountAdminApi, so the /v1/admin per-address budget applies here too.
  if (deps.adminToken) {
    const admin = express.Router();
    admin.use(adminGuard(deps.adminToken));
    admin.use(express.json({ limit: "8kb" }));
    admin.post("/players/:id/inbox", route(async (req, res) => {
      const id = parse(playerIdParam, req.params.id);
      if (!(await deps.store.players.get(id))) throw new RallyError("NOT_FOUND", "no such player");
      const item = await inbox.notify(id, "admin", parse(adminMessageBody, req.body));
      res.status(201).json({ item });
    }));
    admin.use(errorHandler(deps.logger));
    app.use("/v1/admin", (req: Request, res: Response, next: NextFunction) => (/^\/players\/[^/]+\/inbox$/.test(req.path) ? admin(req, res, next) : next()));
  }
  return app;
}
