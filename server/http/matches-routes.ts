/**
 * Rejoin a live match (README "Rejoin a live match"), authenticated with the player's own access token:
 *   GET  /v1/matches/current        `{ match }`: the live match the player belongs to, or `{ match: null }`
 *   POST /v1/matches/current/seat   `{ match, seat }`: how to take the seat back (`client.reconnect(seat.reconnectionToken)`
 *                                   or `client.consumeSeatReservation(seat.reservation)`); 404 MM_NOT_IN_MATCH, 409 MM_SEAT_NOT_HELD
 * Any node answers for any match (the room is asked on its node). Identity comes from the access token
 * only; the reconnection it hands out is bound to that player again by the room guard (rooms/guard.ts).
 */
import express, { type Router } from "express";
import type { CurrentMatch, CurrentMatchResponse, RejoinResponse } from "../../protocol/index.ts";
import type { TokenService } from "../auth/index.ts";
import type { Limits } from "../auth/limits.ts";
import { bearer, route } from "./common.ts";

/** What the routes need from the matchmaker (matchmaker/service.ts `MatchmakerService`). */
export interface MatchRejoin {
  currentMatch(playerId: string): Promise<CurrentMatch | null>;
  rejoinSeat(playerId: string): Promise<RejoinResponse>;
}

export function matchesRouter(tokens: Pick<TokenService, "verifyAccess">, limits: Pick<Limits, "account">, rejoin: MatchRejoin): Router {
  const router = express.Router();
  const me = async (authorization: string | undefined): Promise<string> => {
    const { playerId } = await tokens.verifyAccess(authorization);
    await limits.account(playerId);
    return playerId;
  };

  router.get("/matches/current", route(async (req, res) => {
    const body: CurrentMatchResponse = { match: await rejoin.currentMatch(await me(bearer(req))) };
    res.setHeader("Cache-Control", "no-store");
    res.json(body);
  }));

  router.post("/matches/current/seat", route(async (req, res) => {
    const body: RejoinResponse = await rejoin.rejoinSeat(await me(bearer(req)));
    // the answer holds a reconnection token: never cached on the way
    res.setHeader("Cache-Control", "no-store");
    res.json(body);
  }));
  return router;
}
