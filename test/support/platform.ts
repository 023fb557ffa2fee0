/**
 * Stand-ins for the platforms behind `/v1/auth/oidc` and `/v1/auth/steam`, served by the test on
 * loopback: an OpenID Connect issuer (discovery document, JWKS, key rotation, tokens signed with
 * its keys) and Steam's ISteamUserAuth/AuthenticateUserTicket/v1 Web API.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

interface SigningKey { kid: string; privateKey: CryptoKey; publicJwk: JWK }

async function newKey(alg: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});

export interface TokenOptions {
  /** Sign with this key instead of the issuer's current one (a forgery). */
  key?: CryptoKey;
  kid?: string;
}

export interface OidcIssuer {
  /** The issuer URL (`iss`), also where discovery is served. */
  readonly url: string;
  readonly jwksUrl: string;
  readonly kid: string;
  /** How often the discovery document and the key set were fetched. */
  readonly fetches: { discovery: number; jwks: number };
  /** A token with sensible defaults (iss, aud, sub, iat now, exp in 10 minutes, a random jti), overridden by `claims`. */
  token(claims?: JWTPayload, options?: TokenOptions): Promise<string>;
  /** A new signing key with a new kid; the old key leaves the key set. */
  rotate(): Promise<void>;
  /** A key pair the issuer does not publish (for forgeries). */
  strangerKey(): Promise<CryptoKey>;
  stop(): Promise<void>;
}

export async function startOidcIssuer(options: { audience: string; alg?: string }): Promise<OidcIssuer> {
  const alg = options.alg ?? "RS256";
  let current = await newKey(alg);
  const fetches = { discovery: 0, jwks: 0 };
  let base = "";
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") {
      fetches.discovery++;
      res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks`, id_token_signing_alg_values_supported: [alg] }));
    } else if (req.url === "/jwks") {
      fetches.jwks++;
      res.end(JSON.stringify({ keys: [current.publicJwk] }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  base = await listen(server);
  return {
    url: base,
    jwksUrl: `${base}/jwks`,
    get kid() { return current.kid; },
    fetches,
    async token(claims = {}, tokenOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      // Like Google's, every token carries a jti: two tokens of one subject within a second still differ.
      return new SignJWT({ iss: base, aud: options.audience, sub: randomUUID(), iat: now, exp: now + 600, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg, kid: tokenOptions.kid ?? current.kid, typ: "JWT" })
        .sign(tokenOptions.key ?? current.privateKey);
    },
    async rotate() {
      current = await newKey(alg);
    },
    async strangerKey() {
      return (await newKey(alg)).privateKey;
    },
    stop: () => close(server),
  };
}

export interface SteamStandIn {
  readonly url: string;
  readonly key: string;
  readonly appId: string;
  /** Calls that reached the Web API. */
  calls: number;
  /** When set, every call answers this HTTP status (an outage). */
  failWith?: number;
  /** A ticket the client would get from Steam for `steamId` in `appId` (default: this app). */
  issue(steamId: string, appId?: string, options?: { publisherBanned?: boolean }): string;
  stop(): Promise<void>;
}

export async function startSteamStandIn(options: { appId: string; identity?: string }): Promise<SteamStandIn> {
  const key = randomBytes(16).toString("hex").toUpperCase();
  const tickets = new Map<string, { steamId: string; appId: string; publisherBanned: boolean }>();
  const state: SteamStandIn = {
    url: "", key, appId: options.appId, calls: 0,
    issue(steamId, appId = options.appId, o = {}) {
      const ticket = randomBytes(64).toString("hex");
      tickets.set(ticket, { steamId, appId, publisherBanned: o.publisherBanned ?? false });
      return ticket;
    },
    stop: async () => close(server),
  };
  const answer = (body: unknown) => JSON.stringify({ response: body });
  const server = createServer((req, res) => {
    state.calls++;
    const url = new URL(req.url ?? "/", "http://x");
    if (state.failWith) {
      res.statusCode = state.failWith;
      return void res.end("<html>unavailable</html>");
    }
    if (req.method !== "GET" || url.pathname !== "/ISteamUserAuth/AuthenticateUserTicket/v1/") {
      res.statusCode = 404;
      return void res.end("not found");
    }
    // Like Steam: a wrong key is a 403 page, not JSON.
    if (url.searchParams.get("key") !== key) {
      res.statusCode = 403;
      return void res.end("<html>Forbidden</html>");
    }
    res.setHeader("content-type", "application/json");
    const ticket = tickets.get(url.searchParams.get("ticket") ?? "");
    if (!ticket || url.searchParams.get("identity") !== (options.identity ?? null)) {
      return void res.end(answer({ error: { errorcode: 101, errordesc: "Invalid ticket" } }));
    }
    if (url.searchParams.get("appid") !== ticket.appId) {
      return void res.end(answer({ error: { errorcode: 101, errordesc: "Invalid ticket (for another app)" } }));
    }
    res.end(answer({ params: { result: "OK", steamid: ticket.steamId, ownersteamid: ticket.steamId, vacbanned: false, publisherbanned: ticket.publisherBanned } }));
  });
  (state as { url: string }).url = await listen(server);
  return state;
}
