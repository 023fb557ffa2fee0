/**
 * Platform sign-in under `/v1/auth` (mounted by auth-routes.ts, so the per-address auth limit covers
 * them): `POST /oidc` and `POST /steam` sign in with a platform token (creating the player on first
 * sight) or, with a bearer access token, link it to the signed-in player; `GET /identities` lists the
 * player's linked identities; `DELETE /identities/:provider` unlinks one, never the last way in.
 *
 * One provider identity is one player (IDENTITY_TAKEN otherwise). A player with a linked identity
 * is no longer a guest: its device id stops signing in (DEVICE_REGISTERED), like after a username.
 */
import type { Request, Response, Router } from "express";
import { z } from "zod";
import { RallyError } from "../errors.ts";
import type { TokenService } from "../auth/index.ts";
import type { PlatformAuth, VerifiedIdentity } from "../auth/platform/index.ts";
import type { PlayerServices } from "../players/index.ts";
import type { IdentityRecord } from "../store/index.ts";
import { bearer, parse, route } from "./common.ts";

const providerName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "a provider name");
const oidcBody = z.object({
  provider: providerName,
  idToken: z.string().min(16).max(8192),
  /** When the client asked the provider for a nonce, the token must carry exactly this one. */
  nonce: z.string().min(8).max(256).optional(),
}).strict();
const steamBody = z.object({ ticket: z.string().regex(/^[0-9A-Fa-f]{16,4096}$/, "a hex-encoded Steam session ticket") }).strict();

const view = (i: IdentityRecord) => ({ provider: i.provider, subject: i.subject, linkedAt: i.linkedAt });

export function mountPlatformRoutes(router: Router, tokens: TokenService, players: PlayerServices, platform: PlatformAuth): void {
  const { store, limits } = players;

  /** Sign in with a verified identity, or link it to the caller when the request carries a bearer token. */
  async function signInOrLink(req: Request, res: Response, verify: () => Promise<VerifiedIdentity>): Promise<void> {
    // The caller's token is checked before the platform token, so a bad session never spends (replay-marks) it.
    const caller = req.headers.authorization !== undefined ? await tokens.verifyAccess(bearer(req)) : undefined;
    if (caller) await limits.account(caller.playerId);
    const { provider, subject } = await verify();
    if (caller) {
      const linked = await store.identities.link(caller.playerId, provider, subject);
      players.events.push({ at: Date.now(), type: "auth.link", playerId: caller.playerId, data: { provider } });
      res.json({ playerId: caller.playerId, linked: view(linked), identities: (await store.identities.list(caller.playerId)).map(view) });
      return;
    }
    const { player, created } = await store.identities.signIn(provider, subject);
    if (player.banned) throw new RallyError("PLAYER_BANNED");
    const pair = await tokens.issue({ playerId: player.id, name: player.name });
    players.events.push({ at: Date.now(), type: "auth.platform", playerId: player.id, data: { provider, created } });
    res.status(created ? 201 : 200).json({ playerId: player.id, name: player.name, provider, created, ...pair });
  }

  router.post("/oidc", route(async (req, res) => {
    const { provider, idToken, nonce } = parse(oidcBody, req.body);
    await signInOrLink(req, res, () => platform.verifyOidc(provider, idToken, nonce));
  }));

  router.post("/steam", route(async (req, res) => {
    const { ticket } = parse(steamBody, req.body);
    await signInOrLink(req, res, () => platform.verifySteam(ticket));
  }));

  router.get("/identities", route(async (req, res) => {
    const { playerId } = await tokens.verifyAccess(bearer(req));
    await limits.account(playerId);
    const player = await store.players.get(playerId);
    res.json({ playerId, username: player?.username ?? null, identities: (await store.identities.list(playerId)).map(view), providers: platform.providers });
  }));

  router.delete("/identities/:provider", route(async (req, res) => {
    const { playerId } = await tokens.verifyAccess(bearer(req));
    await limits.account(playerId);
    const provider = parse(providerName, req.params.provider);
    const removed = await store.identities.unlink(playerId, provider);
    players.events.push({ at: Date.now(), type: "auth.unlink", playerId, data: { provider } });
    res.json({ playerId, unlinked: view(removed), identities: (await store.identities.list(playerId)).map(view) });
  }));
}
