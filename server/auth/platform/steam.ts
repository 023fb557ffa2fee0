/**
 * Steam session tickets, verified by Steam's ISteamUserAuth/AuthenticateUserTicket/v1 Web API
 * (publisher key, app id, and the identity string for GetAuthTicketForWebApi tickets). Steam answers
 * the Steam id (the identity's subject) or an error; anything unreadable counts as Steam being
 * unavailable, never as a valid ticket.
 */
import { z } from "zod";
import { RallyError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { VerifiedIdentity } from "./oidc.ts";
import type { ReplayGuard } from "./replay.ts";

export interface SteamSettings {
  appId: string;
  webApiKey: string;
  /** Base URL, e.g. https://partner.steam-api.com */
  apiUrl: string;
  identity?: string;
  fetchTimeoutMs?: number;
}

/** A ticket is refused a second time for this long (Steam itself would accept it until the game cancels it). */
export const STEAM_TICKET_REUSE_WINDOW_MS = 60 * 60 * 1000;

const answerSchema = z.object({
  response: z.object({
    params: z.object({
      result: z.string(),
      steamid: z.string().regex(/^\d{1,20}$/),
      ownersteamid: z.string().optional(),
      vacbanned: z.boolean().optional(),
      publisherbanned: z.boolean().optional(),
    }).optional(),
    error: z.object({ errorcode: z.number(), errordesc: z.string() }).optional(),
  }),
});

export class SteamVerifier {
  constructor(private readonly settings: SteamSettings, private readonly replay: ReplayGuard, private readonly logger?: Logger) {}

  async verify(ticket: string): Promise<VerifiedIdentity> {
    const { settings } = this;
    const url = new URL(`${settings.apiUrl.replace(/\/+$/, "")}/ISteamUserAuth/AuthenticateUserTicket/v1/`);
    url.searchParams.set("key", settings.webApiKey);
    url.searchParams.set("appid", settings.appId);
    url.searchParams.set("ticket", ticket);
    if (settings.identity) url.searchParams.set("identity", settings.identity);
    let answer: z.infer<typeof answerSchema>;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(settings.fetchTimeoutMs ?? 5000), redirect: "error", headers: { accept: "application/json" } });
      // 403 is a wrong or revoked Web API key: an operator problem, not the player's.
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      answer = answerSchema.parse(await res.json());
    } catch (err) {
      // The URL carries the key: log the host only.
      this.logger?.warn({ err: { message: (err as Error).message }, host: url.host }, "platform sign-in: Steam Web API call failed");
      throw new RallyError("PROVIDER_UNAVAILABLE", "Steam cannot verify tickets right now", { cause: err });
    }
    const { params, error } = answer.response;
    if (error) throw new RallyError("PLATFORM_TOKEN_INVALID", `Steam refused the ticket: ${error.errordesc} (${error.errorcode})`);
    if (!params || params.result !== "OK") throw new RallyError("PLATFORM_TOKEN_INVALID", `Steam refused the ticket (${params?.result ?? "no result"})`);
    if (params.publisherbanned) throw new RallyError("PLAYER_BANNED", "this Steam account is banned by the publisher");
    if (!(await this.replay.first(["steam", settings.appId, ticket.toLowerCase()], STEAM_TICKET_REUSE_WINDOW_MS))) throw new RallyError("PLATFORM_TOKEN_REPLAYED");
    return { provider: "steam", subject: params.steamid };
  }
}
