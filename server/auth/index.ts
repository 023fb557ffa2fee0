/**
 * Access and refresh tokens (HS256 JWTs via jose). Access tokens are short-lived and carry the
 * player's id and display name; refresh tokens only the id and are accepted only by the refresh route.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { RallyError } from "../errors.ts";
import type { PlayerIdentity, TokenVerifier } from "../../rooms/index.ts";

const ISSUER = "rally";

export interface TokenPair {
  readonly token: string;
  readonly refreshToken: string;
  /** Seconds until `token` expires. */
  readonly expiresIn: number;
}

export interface TokenService extends TokenVerifier {
  issue(identity: PlayerIdentity): Promise<TokenPair>;
  /** Returns the player id in a valid refresh token. */
  verifyRefresh(refreshToken: string): Promise<string>;
}

export interface TokenServiceOptions {
  secret: Uint8Array;
  accessTtlS: number;
  refreshTtlS: number;
}

export function createTokenService({ secret, accessTtlS, refreshTtlS }: TokenServiceOptions): TokenService {
  const sign = (claims: Record<string, unknown>, subject: string, ttlS: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS)
      .sign(secret);

  async function verify(token: string | undefined, typ: "access" | "refresh") {
    if (!token) throw new RallyError("AUTH_MISSING_TOKEN");
    try {
      const { payload } = await jwtVerify(token, secret, { issuer: ISSUER, algorithms: ["HS256"] });
      if (payload.typ !== typ || typeof payload.sub !== "string") throw new RallyError("AUTH_INVALID_TOKEN", `not an ${typ} token`);
      return payload;
    } catch (e) {
      if (e instanceof RallyError) throw e;
      if (e instanceof joseErrors.JWTExpired) throw new RallyError("AUTH_EXPIRED_TOKEN", `the ${typ} token has expired`);
      throw new RallyError("AUTH_INVALID_TOKEN", `the ${typ} token is invalid`);
    }
  }

  return {
    async issue({ playerId, name }) {
      const [token, refreshToken] = await Promise.all([
        sign({ typ: "access", name }, playerId, accessTtlS),
        sign({ typ: "refresh" }, playerId, refreshTtlS),
      ]);
      return { token, refreshToken, expiresIn: accessTtlS };
    },
    async verifyAccess(token) {
      const payload = await verify(token, "access");
      return { playerId: payload.sub!, name: typeof payload.name === "string" ? payload.name : "player" };
    },
    async verifyRefresh(refreshToken) {
      return (await verify(refreshToken, "refresh")).sub!;
    },
  };
}

/**
 * The signing secret: JWT_SECRET when set; otherwise a random one kept in DATA_DIR so tokens survive
 * a restart of a dev node. A cluster must set JWT_SECRET so every node verifies every token.
 */
export async function loadTokenSecret(jwtSecret: string | undefined, dataDir: string): Promise<Uint8Array> {
  if (jwtSecret) return new TextEncoder().encode(jwtSecret);
  const file = join(dataDir, "jwt-secret");
  try {
    return new TextEncoder().encode((await readFile(file, "utf8")).trim());
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  await writeFile(file, secret + "\n", { mode: 0o600, flag: "wx" }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e; // another process won the race: use its secret
  });
  return new TextEncoder().encode((await readFile(file, "utf8")).trim());
}
