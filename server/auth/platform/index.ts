/**
 * Platform sign-in: verifies OpenID Connect ID tokens (Google, Apple, any OIDC provider in
 * OIDC_PROVIDERS) and Steam session tickets (STEAM_APP_ID + STEAM_WEB_API_KEY) into a
 * (provider, subject) identity. What an identity then signs into, links or unlinks is the store's
 * (`Store.identities`) and the routes' (server/http/platform-routes.ts) business.
 */
import type { Redis } from "ioredis";
import { Counter, type Registry } from "prom-client";
import type { Config } from "../../config.ts";
import { isRallyError, RallyError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { OidcVerifier, type VerifiedIdentity } from "./oidc.ts";
import { createReplayGuard, type ReplayGuard } from "./replay.ts";
import { SteamVerifier } from "./steam.ts";

export { createReplayGuard, type ReplayGuard } from "./replay.ts";
export { OidcVerifier, type VerifiedIdentity, type OidcSettings } from "./oidc.ts";
export { SteamVerifier, STEAM_TICKET_REUSE_WINDOW_MS, type SteamSettings } from "./steam.ts";

export interface PlatformAuth {
  /** Configured provider names (OIDC ones, then `steam` when configured). */
  readonly providers: readonly string[];
  /** Throws PROVIDER_UNKNOWN, PLATFORM_TOKEN_INVALID / _EXPIRED / _REPLAYED, PROVIDER_UNAVAILABLE. */
  verifyOidc(provider: string, idToken: string, nonce?: string): Promise<VerifiedIdentity>;
  verifySteam(ticket: string): Promise<VerifiedIdentity>;
}

export type PlatformConfig = Pick<Config, "OIDC_PROVIDERS" | "OIDC_CLOCK_TOLERANCE_S" | "OIDC_MAX_TOKEN_AGE_S" | "OIDC_JWKS_COOLDOWN_S" | "STEAM_APP_ID" | "STEAM_WEB_API_KEY" | "STEAM_API_URL" | "STEAM_IDENTITY">;

export function createPlatformAuth(config: PlatformConfig, options: { redis?: Redis; logger?: Logger; replay?: ReplayGuard; registry?: Registry } = {}): PlatformAuth {
  const { logger } = options;
  const verifications = options.registry && new Counter({
    name: "rally_platform_verifications_total",
    help: "Platform sign-in tokens and tickets checked, by provider and result (ok or the error code: PLATFORM_TOKEN_REPLAYED, PROVIDER_UNAVAILABLE...)",
    labelNames: ["provider", "result"],
    registers: [options.registry],
  });
  const counted = (provider: string, check: Promise<VerifiedIdentity>): Promise<VerifiedIdentity> => check.then(
    (identity) => { verifications?.inc({ provider, result: "ok" }); return identity; },
    (e: unknown) => { verifications?.inc({ provider, result: isRallyError(e) ? e.code : "INTERNAL" }); throw e; },
  );
  const replay = options.replay ?? createReplayGuard({ redis: options.redis, logger });
  const settings = { clockToleranceS: config.OIDC_CLOCK_TOLERANCE_S, maxTokenAgeS: config.OIDC_MAX_TOKEN_AGE_S, jwksCooldownS: config.OIDC_JWKS_COOLDOWN_S };
  const oidc = new Map(config.OIDC_PROVIDERS.map((p) => [p.name, new OidcVerifier(p, settings, replay, logger)]));
  const steam = config.STEAM_APP_ID && config.STEAM_WEB_API_KEY
    ? new SteamVerifier({ appId: config.STEAM_APP_ID, webApiKey: config.STEAM_WEB_API_KEY, apiUrl: config.STEAM_API_URL, identity: config.STEAM_IDENTITY }, replay, logger)
    : undefined;
  return {
    providers: [...oidc.keys(), ...(steam ? ["steam"] : [])],
    verifyOidc(provider, idToken, nonce) {
      const verifier = oidc.get(provider);
      // An unknown name is not counted: the label set stays the configured providers.
      if (!verifier) return Promise.reject(new RallyError("PROVIDER_UNKNOWN", `no OpenID Connect provider "${provider}" is configured`));
      return counted(provider, verifier.verify(idToken, nonce));
    },
    verifySteam(ticket) {
      if (!steam) return Promise.reject(new RallyError("PROVIDER_UNKNOWN", "Steam sign-in is not configured (STEAM_APP_ID, STEAM_WEB_API_KEY)"));
      return counted("steam", steam.verify(ticket));
    },
  };
}
