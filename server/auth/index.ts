/**
 * Access and refresh tokens (HS256 JWTs via jose).
 *
 * Access tokens are short-lived and carry the player's id and display name. Every check of one
 * (`verifyAccess`: HTTP routes and room joins alike) also asks `checkPlayer`, so a ban takes effect
 * at the player's next request or room join, not when the token expires, and a token whose player
 * the store does not know is refused.
 *
 * Refresh tokens carry a family id (`fam`, one per login) and a token id (`jti`). The store keeps
 * the one jti of each family that may still be used; a refresh swaps it for a new one
 * (compare-and-set). Presenting an older jti means the token was copied: the whole family is
 * revoked, so the thief and the victim both have to log in again. Logout revokes the family.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { RallyError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import type { PlayerIdentity, TokenVerifier } from "../../rooms/index.ts";

const ISSUER = "rally";

export interface TokenPair {
  readonly token: string;
  readonly refreshToken: string;
  /** Seconds until `token` expires. */
  readonly expiresIn: number;
}

/** What the token service asks about a player on every access check. */
export interface PlayerCheck {
  /** null: unknown to the store; a validly signed token for it is refused (no phantom players). */
  (playerId: string): Promise<{ banned: boolean; name: string } | null>;
}

export interface TokenService extends TokenVerifier {
  /** A new login: a new refresh-token family. */
  issue(identity: PlayerIdentity): Promise<TokenPair>;
  /**
   * Rotates a refresh token: returns a new pair for the same family. Throws AUTH_TOKEN_REUSED (and
   * revokes the family) for an already-rotated token, AUTH_REVOKED after logout or a ban.
   * `identify` turns the player id into the identity for the new access token (or throws).
   */
  refresh(refreshToken: string, identify: (playerId: string) => Promise<PlayerIdentity>): Promise<TokenPair & { playerId: string }>;
  /** Logout: revokes the family of this refresh token (an expired one is fine). Returns the player id. */
  revoke(refreshToken: string): Promise<string>;
}

export interface TokenServiceOptions {
  secret: Uint8Array;
  accessTtlS: number;
  refreshTtlS: number;
  sessions: Store["sessions"];
  checkPlayer?: PlayerCheck;
}

export function createTokenService({ secret, accessTtlS, refreshTtlS, sessions, checkPlayer }: TokenServiceOptions): TokenService {
  const sign = (claims: Record<string, unknown>, subject: string, ttlS: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS)
      .sign(secret);

  async function verify(token: string | undefined, typ: "access" | "refresh", allowExpired = false): Promise<JWTPayload & { sub: string }> {
    if (!token) throw new RallyError("AUTH_MISSING_TOKEN");
    try {
      const { payload } = await jwtVerify(token, secret, {
        issuer: ISSUER, algorithms: ["HS256"],
        ...(allowExpired ? { currentDate: new Date(0) } : {}),
      });
      if (payload.typ !== typ || typeof payload.sub !== "string") throw new RallyError("AUTH_INVALID_TOKEN", `not an ${typ} token`);
      if (typ === "refresh" && (typeof payload.jti !== "string" || typeof payload.fam !== "string")) {
        throw new RallyError("AUTH_INVALID_TOKEN", "the refresh token has no session");
      }
      return payload as JWTPayload & { sub: string };
    } catch (e) {
      if (e instanceof RallyError) throw e;
      if (e instanceof joseErrors.JWTExpired) throw new RallyError("AUTH_EXPIRED_TOKEN", `the ${typ} token has expired`);
      throw new RallyError("AUTH_INVALID_TOKEN", `the ${typ} token is invalid`);
    }
  }

  async function pair(identity: PlayerIdentity, familyId: string, jti: string): Promise<TokenPair> {
    const [token, refreshToken] = await Promise.all([
      sign({ typ: "access", name: identity.name }, identity.playerId, accessTtlS),
      sign({ typ: "refresh", fam: familyId, jti }, identity.playerId, refreshTtlS),
    ]);
    return { token, refreshToken, expiresIn: accessTtlS };
  }

  return {
    async issue(identity) {
      const familyId = randomUUID(), jti = randomUUID();
      await sessions.create({ familyId, playerId: identity.playerId, jti, expiresAt: Date.now() + refreshTtlS * 1000 });
      return pair(identity, familyId, jti);
    },
    async verifyAccess(token) {
      const payload = await verify(token, "access");
      const claimName = typeof payload.name === "string" ? payload.name : "player";
      const current = checkPlayer ? await checkPlayer(payload.sub) : null;
      // HTTP and every room's onAuth come through here: a token for a player the store does not know
      // (a leaked secret, a deleted player) proves nothing.
      if (checkPlayer && !current) throw new RallyError("AUTH_INVALID_TOKEN", "the player no longer exists");
      if (current?.banned) throw new RallyError("PLAYER_BANNED");
      // The current display name wins over the one frozen in the token.
      return { playerId: payload.sub, name: current?.name ?? claimName };
    },
    async refresh(refreshToken, identify) {
      const payload = await verify(refreshToken, "refresh");
      const familyId = payload.fam as string;
      const nextJti = randomUUID();
      const outcome = await sessions.rotate(familyId, payload.jti as string, nextJti, Date.now() + refreshTtlS * 1000);
      if (outcome === "reused") throw new RallyError("AUTH_TOKEN_REUSED");
      if (outcome === "revoked") throw new RallyError("AUTH_REVOKED");
      if (outcome === "unknown") throw new RallyError("AUTH_INVALID_TOKEN", "unknown session");
      const identity = await identify(payload.sub);
      return { playerId: identity.playerId, ...(await pair(identity, familyId, nextJti)) };
    },
    async revoke(refreshToken) {
      const payload = await verify(refreshToken, "refresh", true);
      await sessions.revoke(payload.fam as string);
      return payload.sub;
    },
  };
}

/**
 * The one JWT-secret loader, as text: JWT_SECRET when set; otherwise a random one kept in `dir/jwt-secret`
 * so tokens survive a restart of a dev node. A cluster must share one: the pool manager loads it from
 * POOL_STATE_DIR and hands it to the nodes it starts as their JWT_SECRET.
 */
export async function loadTokenSecretText(jwtSecret: string | undefined, dir: string): Promise<string> {
  if (jwtSecret) return jwtSecret;
  const file = join(dir, "jwt-secret");
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await mkdir(dir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  await writeFile(file, secret + "\n", { mode: 0o600, flag: "wx" }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e; // another process won the race: use its secret
  });
  return (await readFile(file, "utf8")).trim();
}

/** The signing key of a node's token service: `loadTokenSecretText` over JWT_SECRET and DATA_DIR. */
export async function loadTokenSecret(jwtSecret: string | undefined, dataDir: string): Promise<Uint8Array> {
  return new TextEncoder().encode(await loadTokenSecretText(jwtSecret, dataDir));
}
