/**
 * Authenticated player routes: profiles (cache-first), match history, inventory, leaderboards.
 * Every request verifies the access token (which also refuses a banned player) and counts against
 * the account's rate limit.
 */
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import { RallyError } from "../errors.ts";
import type { TokenService } from "../auth/index.ts";
import { SEASON_ID, publicProfile, type PlayerServices } from "../players/index.ts";
import { laggingReads } from "../store/index.ts";
import { bearer, idempotencyKey, itemsBody, parse, playerIdParam, route } from "./common.ts";
import { reservedNameMatch } from "../players/names.ts";

// NFKC first: fullwidth and other compatibility forms become their plain letters before any check.
const nameSchema = z.string().transform((v) => v.normalize("NFKC").trim()).pipe(z.string().regex(/^[\p{L}\p{N}_\- ]{3,24}$/u, "3 to 24 letters, digits, spaces, '_' or '-'")
  .refine((v) => !/\s{2,}/.test(v), "no repeated spaces"));
const patchBody = z.object({ name: nameSchema }).strict();
const consumeBody = z.object({ items: itemsBody, idempotencyKey }).strict();
const historyQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
}).strict();
const boardParam = z.string().regex(/^(rating|score)\.[A-Za-z0-9_-]{1,32}$/, "<rating|score>.<mode>");
const boardQuery = z.object({
  season: z.string().regex(SEASON_ID, "a season id like 2026-05, 2026-W19 or all").optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  around: z.literal("me").optional(),
}).strict();

const encodeCursor = (c: { endedAt: number; matchId: string }) => Buffer.from(JSON.stringify([c.endedAt, c.matchId])).toString("base64url");
function decodeCursor(s: string): { endedAt: number; matchId: string } {
  try {
    const [endedAt, matchId] = JSON.parse(Buffer.from(s, "base64url").toString()) as [unknown, unknown];
    if (typeof endedAt === "number" && typeof matchId === "string") return { endedAt, matchId };
  } catch { /* fall through */ }
  throw new RallyError("BAD_REQUEST", "cursor: not a cursor from this API");
}

declare module "express-serve-static-core" {
  interface Request { playerId?: string }
}

export function playersRouter(tokens: TokenService, players: PlayerServices): Router {
  const { store, profiles, limits, leaderboards } = players;
  const router = express.Router();
  const authed = (req: Request, _res: Response, next: NextFunction) => {
    tokens.verifyAccess(bearer(req))
      .then(async ({ playerId }) => {
        await limits.account(playerId);
        req.playerId = playerId;
      })
      .then(() => next(), next);
  };
  const me = (req: Request) => req.playerId!;
  const profileOr404 = async (playerId: string) => {
    const p = await profiles.get(playerId);
    if (!p) throw new RallyError("NOT_FOUND", "no such player");
    return p;
  };

  router.get("/me", authed, route(async (req, res) => {
    const p = await profileOr404(me(req));
    res.json({ playerId: p.playerId, name: p.name, createdAt: p.createdAt });
  }));

  router.get("/players/me", authed, route(async (req, res) => {
    res.json(await profileOr404(me(req)));
  }));

  router.patch("/players/me", authed, route(async (req, res) => {
    const { name } = parse(patchBody, req.body);
    if (reservedNameMatch(name)) throw new RallyError("NAME_RESERVED", "that name looks like a reserved name (staff, system or Rally)");
    const updated = await profiles.rename(me(req), name);
    if (!updated) throw new RallyError("NOT_FOUND", "no such player");
    res.json(updated);
  }));

  router.get("/players/me/matches", authed, route(async (req, res) => {
    const { limit, cursor } = parse(historyQuery, req.query);
    const page = await store.matches.history(me(req), { limit, before: cursor ? decodeCursor(cursor) : undefined });
    const last = page.at(-1);
    res.json({
      matches: page.map(({ playerId: _p, ...h }) => ({ ...h, endedAt: new Date(h.endedAt).toISOString() })),
      nextCursor: page.length === limit && last ? encodeCursor(last) : null,
    });
  }));

  router.get("/players/me/inventory", authed, route(async (req, res) => {
    res.json({ items: await store.inventory.get(me(req)) });
  }));

  router.post("/players/me/inventory/consume", authed, route(async (req, res) => {
    const { items, idempotencyKey: key } = parse(consumeBody, req.body);
    const out = await store.inventory.consume(me(req), items, key);
    if (out.applied) players.events.push({ at: Date.now(), type: "inventory.consume", playerId: me(req), data: { items } });
    res.json(out);
  }));

  router.get("/players/:id", authed, route(async (req, res) => {
    const id = parse(playerIdParam, req.params.id);
    // Someone else's profile may lag a moment (read replica); one's own is read like /players/me.
    const p = id === me(req) ? await profiles.get(id) : await profiles.getPublic(id);
    if (!p) throw new RallyError("NOT_FOUND", "no such player");
    res.json(publicProfile(p));
  }));

  router.get("/leaderboards/:id", authed, route(async (req, res) => {
    const id = parse(boardParam, req.params.id);
    const q = parse(boardQuery, req.query);
    const season = q.season ?? players.season();
    const board = `${id}.${season}`;
    const page = q.around ? await leaderboards.around(board, me(req), q.limit) : await leaderboards.top(board, q.limit, q.offset);
    const names = new Map((await laggingReads(store).players.getMany(page.entries.map((e) => e.playerId))).map((p) => [p.id, p.name]));
    res.json({
      leaderboard: id, season, total: page.total,
      entries: page.entries.map((e) => ({ rank: e.rank, playerId: e.playerId, name: names.get(e.playerId) ?? null, score: e.score })),
      ...(q.around ? { me: page.me ?? null } : {}),
    });
  }));

  return router;
}
