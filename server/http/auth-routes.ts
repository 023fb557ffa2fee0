/**
 * `/v1/auth/*`: guest login, account upgrade (register), login, refresh (rotating), logout.
 * Every route is limited per client address (AUTH_RATE_PER_MIN); login also per username
 * (slowed, then locked out), guest sign-in with a deviceId also per device id.
 *
 * A device id is not a password: it signs into its player only while that player is a guest. Once
 * the player registered a username, `POST /v1/auth/guest` with its device id answers
 * DEVICE_REGISTERED and the player logs in with the password (which the login lockout guards).
 * The same holds once a platform identity is linked (platform-routes.ts): any credential ends the
 * device binding's power, and the last credential can never be removed, so an account never falls
 * back to being a device guest.
 */
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import { RallyError } from "../errors.ts";
import { DUMMY_HASH, hashPassword, verifyPassword } from "../auth/passwords.ts";
import type { TokenService } from "../auth/index.ts";
import type { PlayerServices } from "../players/index.ts";
import { bearer, clientIp, parse, route } from "./common.ts";
import { reservedNameMatch } from "../players/names.ts";
import type { PlatformAuth } from "../auth/platform/index.ts";
import { mountPlatformRoutes } from "./platform-routes.ts";

const guestBody = z.object({
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, "8 to 128 letters, digits, '_' or '-'").optional(),
}).strict();
const refreshBody = z.object({ refreshToken: z.string().min(1).max(4096) }).strict();
export const usernameSchema = z.string().regex(/^[A-Za-z0-9_.-]{3,24}$/, "3 to 24 letters, digits, '_', '.' or '-'");
const passwordSchema = z.string().min(8, "at least 8 characters").max(128, "at most 128 characters");
const registerBody = z.object({ username: usernameSchema, password: passwordSchema }).strict();
const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(128) }).strict();

export function authRouter(tokens: TokenService, players: PlayerServices, platform?: PlatformAuth): Router {
  const { store, limits, profiles } = players;
  const router = express.Router();
  router.use((req: Request, _res: Response, next: NextFunction) => {
    limits.auth(clientIp(req)).then(() => next(), next);
  });
  const identify = async (playerId: string) => {
    const p = await store.players.get(playerId);
    if (!p) throw new RallyError("AUTH_INVALID_TOKEN", "the player no longer exists");
    if (p.banned) throw new RallyError("PLAYER_BANNED");
    return { playerId: p.id, name: p.name };
  };

  router.post("/guest", route(async (req, res) => {
    const { deviceId } = parse(guestBody, req.body);
    if (deviceId) await limits.guestDevice(deviceId);
    const player = await store.players.guest(deviceId);
    if (player.username !== undefined) throw new RallyError("DEVICE_REGISTERED");
    // Only a device-bound player can have linked an identity (a fresh one cannot).
    if (deviceId && (await store.identities.list(player.id)).length > 0) throw new RallyError("DEVICE_REGISTERED");
    if (player.banned) throw new RallyError("PLAYER_BANNED");
    const pair = await tokens.issue({ playerId: player.id, name: player.name });
    players.events.push({ at: Date.now(), type: "auth.guest", playerId: player.id, data: {} });
    res.json({ playerId: player.id, name: player.name, ...pair });
  }));

  /** Upgrade the calling guest to an account. */
  router.post("/register", route(async (req, res) => {
    const { playerId } = await tokens.verifyAccess(bearer(req));
    const { username, password } = parse(registerBody, req.body);
    if (reservedNameMatch(username)) throw new RallyError("NAME_RESERVED", `"${username}" looks like a reserved name`);
    const player = await store.accounts.register(playerId, username, await hashPassword(password));
    await profiles.changed(playerId);
    const pair = await tokens.issue({ playerId, name: player.name });
    res.status(201).json({ playerId, name: player.name, username: player.username, ...pair });
  }));

  router.post("/login", route(async (req, res) => {
    const { username, password } = parse(loginBody, req.body);
    await limits.beforeLogin(username);
    const account = await store.accounts.byUsername(username);
    // Unknown usernames cost the same scrypt work, so timing does not tell which usernames exist.
    const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH);
    if (!account || !ok) {
      await limits.loginFailed(username);
      throw new RallyError("AUTH_BAD_CREDENTIALS");
    }
    await limits.loginSucceeded(username);
    if (account.player.banned) throw new RallyError("PLAYER_BANNED");
    const pair = await tokens.issue({ playerId: account.player.id, name: account.player.name });
    players.events.push({ at: Date.now(), type: "auth.login", playerId: account.player.id, data: {} });
    res.json({ playerId: account.player.id, name: account.player.name, username: account.player.username, ...pair });
  }));

  router.post("/refresh", route(async (req, res) => {
    const { refreshToken } = parse(refreshBody, req.body);
    const out = await tokens.refresh(refreshToken, identify);
    const player = await store.players.get(out.playerId);
    res.json({ ...out, name: player?.name });
  }));

  /** Logout: revokes the refresh token's session (its whole family). Idempotent. */
  router.post("/logout", route(async (req, res) => {
    const { refreshToken } = parse(refreshBody, req.body);
    await tokens.revoke(refreshToken);
    res.status(204).end();
  }));

  if (platform) mountPlatformRoutes(router, tokens, players, platform);

  return router;
}
