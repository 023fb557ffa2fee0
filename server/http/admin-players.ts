/**
 * Player admin routes under `/v1/admin` (Bearer ADMIN_TOKEN, the guard from admin.ts; not mounted
 * when ADMIN_TOKEN is unset):
 *   GET  /v1/admin/players/:id                 full profile, inventory, ban
 *   PUT  /v1/admin/players/:id/rating          { mode, rating, sigma? } (search rating, Elo-like) or { mode, mu, sigma? }
 *   POST /v1/admin/players/:id/items           { items, idempotencyKey }
 *   POST /v1/admin/players/:id/ban             { reason }: open connections close at once (4403, every node); tokens stop working
 *   DELETE /v1/admin/players/:id/ban
 *   POST /v1/admin/leaderboards/:board/rebuild rebuild a board's Redis sorted set from the store
 */
import express, { type Application, type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { RallyError } from "../errors.ts";
import { boardKey, type PlayerServices } from "../players/index.ts";
import { adminGuard } from "./admin.ts";
import { errorHandler, idempotencyKey, itemsBody, parse, playerIdParam, route } from "./common.ts";
import type { Logger } from "../log.ts";

const mode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
const ratingBody = z.union([
  z.object({ mode, rating: z.number().min(-10_000).max(20_000), sigma: z.number().gt(0).max(50).optional() }).strict(),
  z.object({ mode, mu: z.number().min(-500).max(500), sigma: z.number().gt(0).max(50).optional() }).strict(),
]);
const grantBody = z.object({ items: itemsBody, idempotencyKey }).strict();
const banBody = z.object({ reason: z.string().min(1).max(500) }).strict();
const boardParam = z.string().regex(/^(rating|score)\.[A-Za-z0-9_-]{1,32}\.(all|\d{4}-\d{2}|\d{4}-W\d{2})$/);

export function mountPlayerAdminApi(app: Application, adminToken: string | undefined, players: PlayerServices, logger: Logger, onBan?: (playerId: string) => Promise<void>): Application {
  if (!adminToken) return app;
  const { store, profiles, model, ratings } = players;
  const router = express.Router();
  router.use(adminGuard(adminToken));
  router.use(express.json({ limit: "4kb" }));
  const playerOr404 = async (req: Request) => {
    const id = parse(playerIdParam, req.params.id);
    const p = await store.players.get(id);
    if (!p) throw new RallyError("NOT_FOUND", "no such player");
    return p;
  };

  router.get("/players/:id", route(async (req, res) => {
    const p = await playerOr404(req);
    const profile = await profiles.get(p.id);
    // The device id is a guest credential: even operators see only whether one is bound.
    res.json({ ...profile, hasDevice: p.deviceId !== undefined, ban: p.banned ?? null, items: await store.inventory.get(p.id) });
  }));

  router.put("/players/:id/rating", route(async (req, res) => {
    const p = await playerOr404(req);
    const body = parse(ratingBody, req.body);
    const current = await ratings.record(p.id, body.mode);
    const skill = "rating" in body ? model.fromSearchRating(body.rating, body.sigma ?? current.sigma) : { mu: body.mu, sigma: body.sigma ?? current.sigma };
    const mmr = model.displayRating(skill);
    const record = { ...current, mu: skill.mu, sigma: skill.sigma, mmr, updatedAt: Date.now() };
    const board = { board: boardKey("rating", body.mode, players.season()), playerId: p.id, score: Math.round(mmr), keep: "latest" as const };
    await store.ratings.set(record, board);
    ratings.remember([record]);
    await profiles.changed(p.id);
    await players.leaderboards.written([board]);
    res.json({ playerId: p.id, mode: body.mode, mu: skill.mu, sigma: skill.sigma, mmr: Math.round(mmr), rating: Math.round(model.searchRating(skill)) });
  }));

  router.post("/players/:id/items", route(async (req, res) => {
    const p = await playerOr404(req);
    const { items, idempotencyKey: key } = parse(grantBody, req.body);
    const out = await store.inventory.grant(p.id, items, `admin:${key}`);
    res.json(out);
  }));

  router.post("/players/:id/ban", route(async (req, res) => {
    const p = await playerOr404(req);
    const { reason } = parse(banBody, req.body);
    const updated = await store.players.setBan(p.id, { reason, at: Date.now() });
    await store.sessions.revokeAll(p.id);
    await profiles.changed(p.id);
    logger.info({ playerId: p.id, reason }, "player banned");
    // Open sockets close now (every node), not only at the next join or request.
    await onBan?.(p.id).catch((err: unknown) => logger.warn({ err, playerId: p.id }, "could not close the banned player's connections"));
    res.json({ playerId: p.id, ban: updated?.banned ?? null });
  }));

  router.delete("/players/:id/ban", route(async (req, res) => {
    const p = await playerOr404(req);
    await store.players.setBan(p.id, null);
    await profiles.changed(p.id);
    res.json({ playerId: p.id, ban: null });
  }));

  router.post("/leaderboards/:board/rebuild", route(async (req, res) => {
    const board = parse(boardParam, req.params.board);
    res.json({ board, entries: await players.leaderboards.rebuild(board) });
  }));

  const handle = errorHandler(logger);
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => handle(err, req, res, next));
  app.use("/v1/admin", router);
  return app;
}
