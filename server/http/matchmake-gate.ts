/**
 * Colyseus' own routes (`POST /matchmake/:method/:room`) are served by its router ahead of express, so
 * express middleware never sees them. This router config runs Rally's checks first: each gate may answer
 * the request itself (a JSON error the SDKs can read), or let it through.
 */
import { createRouter, matchMaker } from "@colyseus/core";
import { refusalText } from "../../protocol/index.ts";
import { RallyError } from "../errors.ts";

/** Answers the request (refusal) or returns undefined to let it through. */
export type MatchmakeGate = (request: Request) => Promise<Response | undefined> | Response | undefined;

/**
 * Colyseus' shape for a matchmaking error (`{ code, error }`, read by every SDK as the message); the
 * message is the refusal text (protocol `refusalText`), which the SDK's `decodeRefusal` reads like a room refusal.
 */
export function matchmakeRefusal(error: RallyError, headers?: Record<string, string>): Response {
  return Response.json({ code: error.code, error: refusalText(error.code, error.message) }, { status: error.status, headers });
}

/**
 * While the node shuts down Colyseus answers `/matchmake` with 503 and an empty body, which SDKs
 * report as "Unexpected end of JSON input"; this says why instead.
 */
export const refuseWhileShuttingDown: MatchmakeGate = () =>
  matchMaker.state === matchMaker.MatchMakerState.SHUTTING_DOWN
    ? matchmakeRefusal(new RallyError("NOT_READY", "This node is shutting down; matchmake through another node."))
    : undefined;

/** The router Rally hands to `defineServer({ routes })`: Colyseus adds its endpoints; the gates run before them. */
export function createGatedRouter(gates: readonly MatchmakeGate[]) {
  return createRouter({}, {
    onRequest: async (request: Request) => {
      for (const gate of gates) {
        const answer = await gate(request);
        if (answer) return answer;
      }
      return undefined;
    },
  });
}
