/**
 * Social HTTP routes under `/v1`: friends, parties, relay sessions and join codes. Mounted before
 * the main `/v1` router (server/http/index.ts) and self-contained: the same CORS headers, the same
 * per-address and per-account limits, plus a per-account budget on social writes
 * (SOCIAL_RATE_PER_MIN). Bodies are zod-validated; errors come from the catalog.
 */
import type { Application, NextFunction, Request, Response } from "express";
import { z } from "zod";
import { matchMaker } from "@colyseus/core";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Redis } from "ioredis";
import { RallyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/index.ts";
import type { TokenService } from "../auth/index.ts";
import type { Limits } from "../auth/limits.ts";
import type { SocialServices, Identity } from "../social/index.ts";
import { bearer, errorHandler, parse, playerIdParam, route, v1Router } from "./common.ts";

export interface SocialHttpDeps {
  tokens: TokenService;
  social: SocialServices;
  limits: Limits;
  metrics: Metrics;
  logger: Logger;
  corsOrigins: readonly string[];
  /** Writes (requests, invites, party changes, relay sessions) per player per minute. */
  writesPerMin: number;
  redis?: Redis;
}

const mode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "a mode name");
const targetBody = z.object({ playerId: playerIdParam }).strict();
const partyIdBody = z.object({ partyId: z.string().regex(/^[A-Za-z0-9_-]{8,32}$/, "a party id") }).strict();
const codeBody = z.object({ code: z.string().trim().regex(/^[A-Za-z0-9]{6}$/, "a 6-character join code") }).strict();
const createPartyBody = z.object({ mode: mode.nullable().optional() }).strict();
const modeBody = z.object({ mode: mode.nullable() }).strict();
const queueBody = z.object({ mode }).strict();
const friendsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(64).optional(),
}).strict();
const relayBody = z.object({ maxClients: z.number().int().min(2).max(16).optional(), migrateHost: z.boolean().optional() }).strict();

const SOCIAL_PATHS = /^\/(friends|party|relay|join-codes)(\/|$)/;

declare module "express-serve-static-core" {
  interface Request { identity?: Identity }
}

export function mountSocialApi(app: Application, deps: SocialHttpDeps): Application {
  const { tokens, social, limits } = deps;
  const { friends, parties } = social;
  const writes: RateLimiterAbstract = (() => {
    const memory = new RateLimiterMemory({ keyPrefix: "social", points: deps.writesPerMin, duration: 60 });
    return deps.redis ? new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: "rally:rl:social", points: deps.writesPerMin, duration: 60, insuranceLimiter: memory, rejectIfRedisNotReady: true }) : memory;
  })();

  const router = v1Router({ corsOrigins: deps.corsOrigins, metrics: deps.metrics, limits }, "4kb");
  const authed = (req: Request, _res: Response, next: NextFunction) => {
    tokens.verifyAccess(bearer(req))
      .then(async (identity) => {
        await limits.account(identity.playerId);
        if (req.method !== "GET") {
          await writes.consume(identity.playerId).catch((res: unknown) => {
            if (res instanceof RateLimiterRes) {
              const s = Math.ceil(res.msBeforeNext / 1000);
              throw new RallyError("RATE_LIMITED", `too many social changes (limit ${deps.writesPerMin}/min); retry in ${s} s`, { retryAfterS: s });
            }
            throw res;
          });
        }
        req.identity = { playerId: identity.playerId, name: identity.name };
      })
      .then(() => next(), next);
  };
  const me = (req: Request) => req.identity!;
  const other = (req: Request) => parse(playerIdParam, req.params.id);

  // ---- friends ----------------------------------------------------------------------------------
  router.get("/friends", authed, route(async (req, res) => {
    res.json(await friends.list(me(req).playerId, parse(friendsQuery, req.query)));
  }));
  router.post("/friends/requests", authed, route(async (req, res) => {
    const { playerId } = parse(targetBody, req.body);
    res.json({ status: await friends.request(me(req), playerId) });
  }));
  router.post("/friends/:id/accept", authed, route(async (req, res) => {
    await friends.accept(me(req), other(req));
    res.json({ status: "friends" });
  }));
  router.post("/friends/:id/decline", authed, route(async (req, res) => {
    await friends.decline(me(req), other(req));
    res.json({ status: "declined" });
  }));
  router.post("/friends/:id/remove", authed, route(async (req, res) => {
    await friends.remove(me(req), other(req));
    res.json({ status: "removed" });
  }));
  router.post("/friends/:id/block", authed, route(async (req, res) => {
    await friends.block(me(req), other(req));
    res.json({ status: "blocked" });
  }));
  router.post("/friends/:id/unblock", authed, route(async (req, res) => {
    await friends.unblock(me(req), other(req));
    res.json({ status: "unblocked" });
  }));

  // ---- parties ----------------------------------------------------------------------------------
  router.get("/party", authed, route(async (req, res) => {
    res.json({ party: await parties.of(me(req).playerId) });
  }));
  router.post("/party", authed, route(async (req, res) => {
    const { mode: m } = parse(createPartyBody, req.body);
    res.status(201).json({ party: await parties.create(me(req), m ?? null) });
  }));
  router.post("/party/invite", authed, route(async (req, res) => {
    res.json({ party: await parties.invite(me(req), parse(targetBody, req.body).playerId) });
  }));
  router.post("/party/accept", authed, route(async (req, res) => {
    res.json({ party: await parties.accept(me(req), parse(partyIdBody, req.body).partyId) });
  }));
  router.post("/party/decline", authed, route(async (req, res) => {
    await parties.decline(me(req), parse(partyIdBody, req.body).partyId);
    res.json({ status: "declined" });
  }));
  router.post("/party/join", authed, route(async (req, res) => {
    res.json({ party: await parties.joinByCode(me(req), parse(codeBody, req.body).code) });
  }));
  router.post("/party/leave", authed, route(async (req, res) => {
    await parties.leave(me(req));
    res.json({ party: null });
  }));
  router.post("/party/kick", authed, route(async (req, res) => {
    res.json({ party: await parties.kick(me(req), parse(targetBody, req.body).playerId) });
  }));
  router.post("/party/promote", authed, route(async (req, res) => {
    res.json({ party: await parties.promote(me(req), parse(targetBody, req.body).playerId) });
  }));
  router.post("/party/mode", authed, route(async (req, res) => {
    res.json({ party: await parties.setMode(me(req), parse(modeBody, req.body).mode) });
  }));
  router.post("/party/queue", authed, route(async (req, res) => {
    res.json({ party: await parties.startQueue(me(req), parse(queueBody, req.body).mode) });
  }));
  router.post("/party/queue/cancel", authed, route(async (req, res) => {
    res.json({ party: await parties.cancelQueue(me(req)) });
  }));

  // ---- relay sessions and join codes ------------------------------------------------------------
  router.post("/relay", authed, route(async (req, res) => {
    const body = parse(relayBody, req.body);
    const listing = await matchMaker.createRoom("relay", { ...body, hostId: me(req).playerId });
    const code = (listing.metadata as { code?: string } | undefined)?.code ?? null;
    const relayToken = await social.relayTokens.issue({ playerId: me(req).playerId, roomId: listing.roomId });
    res.status(201).json({ roomId: listing.roomId, code, relayToken });
  }));
  router.post("/relay/join", authed, route(async (req, res) => {
    const target = await social.codes.resolve(parse(codeBody, req.body).code);
    if (!target || target.kind !== "relay") throw new RallyError("JOIN_CODE_NOT_FOUND");
    const relayToken = await social.relayTokens.issue({ playerId: me(req).playerId, roomId: target.id });
    res.json({ roomId: target.id, relayToken });
  }));
  router.get("/join-codes/:code", authed, route(async (req, res) => {
    const code = parse(codeBody.shape.code, req.params.code);
    const target = await social.codes.resolve(code);
    if (!target) throw new RallyError("JOIN_CODE_NOT_FOUND");
    res.json(target.kind === "party" ? { kind: "party", partyId: target.id } : { kind: target.kind, roomId: target.id });
  }));

  router.use(errorHandler(deps.logger));
  // Only this router's paths enter it: the main /v1 router keeps its own limits and body size.
  app.use("/v1", (req, res, next) => (SOCIAL_PATHS.test(req.path) ? router(req, res, next) : next()));
  return app;
}
