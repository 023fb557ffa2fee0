/**
 * OpenID Connect ID-token verification for one configured provider: signature against the
 * provider's JWKS (jose's remote key set: cached, fetched again on an unknown key id at most once per
 * cooldown, which is how a key rotation is picked up), then iss, aud, exp, nbf and iat (age) with a
 * small clock tolerance, an optional nonce, and finally the replay record.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import type { OidcProviderConfig } from "../../config.ts";
import { RallyError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { ReplayGuard } from "./replay.ts";

export interface VerifiedIdentity {
  readonly provider: string;
  readonly subject: string;
}

export interface OidcSettings {
  clockToleranceS: number;
  maxTokenAgeS: number;
  jwksCooldownS: number;
  /** How long one discovery or key-set fetch may take. */
  fetchTimeoutMs?: number;
}

const DEFAULT_ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"];
const discoverySchema = z.object({ issuer: z.string(), jwks_uri: z.string().url() });

/** Key-set failures that say something about the token (not about the provider being reachable). */
const tokenFaults = [joseErrors.JWKSNoMatchingKey, joseErrors.JWKSMultipleMatchingKeys, joseErrors.JOSEAlgNotAllowed, joseErrors.JOSENotSupported, joseErrors.JWSInvalid];

export class OidcVerifier {
  private keySet?: Promise<JWTVerifyGetKey>;
  private readonly getKey: JWTVerifyGetKey;

  constructor(readonly provider: OidcProviderConfig, private readonly settings: OidcSettings, private readonly replay: ReplayGuard, private readonly logger?: Logger) {
    this.getKey = async (header, token) => {
      const jwks = await this.keys();
      try {
        return await jwks(header, token);
      } catch (e) {
        if (tokenFaults.some((t) => e instanceof t)) throw e;
        this.logger?.warn({ err: e, provider: provider.name }, "platform sign-in: key set fetch failed");
        throw new RallyError("PROVIDER_UNAVAILABLE", `the ${provider.name} key set cannot be fetched`, { cause: e });
      }
    };
  }

  async verify(idToken: string, nonce?: string): Promise<VerifiedIdentity> {
    const { provider, settings } = this;
    let payload;
    try {
      ({ payload } = await jwtVerify(idToken, this.getKey, {
        issuer: provider.issuer,
        audience: provider.audience as string | string[],
        algorithms: (provider.algorithms as string[] | undefined) ?? DEFAULT_ALGORITHMS,
        clockTolerance: settings.clockToleranceS,
        maxTokenAge: settings.maxTokenAgeS,
        requiredClaims: ["sub", "exp", "iat"],
      }));
    } catch (e) {
      if (e instanceof RallyError) throw e;
      if (e instanceof joseErrors.JWTExpired) throw new RallyError("PLATFORM_TOKEN_EXPIRED", `the ${provider.name} token has expired (${e.claim})`);
      if (e instanceof joseErrors.JWTClaimValidationFailed) throw new RallyError("PLATFORM_TOKEN_INVALID", `the ${provider.name} token's "${e.claim}" claim is not accepted (${e.reason})`);
      if (e instanceof joseErrors.JOSEError) throw new RallyError("PLATFORM_TOKEN_INVALID", `the ${provider.name} token does not verify (${e.code})`);
      throw e;
    }
    const subject = payload.sub;
    if (typeof subject !== "string" || subject.length === 0 || subject.length > 255) throw new RallyError("PLATFORM_TOKEN_INVALID", "the token's subject is missing or too long");
    if (nonce !== undefined && payload.nonce !== nonce) throw new RallyError("PLATFORM_TOKEN_INVALID", "the token's nonce does not match");
    const now = Date.now() / 1000;
    const until = Math.min(payload.exp!, payload.iat! + settings.maxTokenAgeS) + settings.clockToleranceS;
    // The replay record is the signed claims segment: it covers jti, nonce, iat and every other claim,
    // and unlike the signature it cannot be re-encoded (an ECDSA signature can be, (r, s) -> (r, n - s)).
    const fresh = await this.replay.first(["oidc", provider.name, idToken.split(".")[1] ?? ""], (until - now) * 1000);
    if (!fresh) throw new RallyError("PLATFORM_TOKEN_REPLAYED");
    return { provider: provider.name, subject };
  }

  /** The remote key set: jwksUrl, or the discovery document's jwks_uri (fetched once; again after a failure). */
  private keys(): Promise<JWTVerifyGetKey> {
    if (!this.keySet) {
      this.keySet = this.jwksUrl().then((url) => createRemoteJWKSet(new URL(url), {
        cooldownDuration: this.settings.jwksCooldownS * 1000,
        timeoutDuration: this.settings.fetchTimeoutMs ?? 5000,
      }));
      this.keySet.catch(() => { this.keySet = undefined; });
    }
    return this.keySet;
  }

  private async jwksUrl(): Promise<string> {
    const { provider } = this;
    if (provider.jwksUrl) return provider.jwksUrl;
    const url = `${provider.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.settings.fetchTimeoutMs ?? 5000), redirect: "error", headers: { accept: "application/json" } });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const doc = discoverySchema.parse(await res.json());
      // The document must describe this issuer, and its keys must come over a safe channel too.
      if (doc.issuer !== provider.issuer) throw new Error(`the discovery document names issuer ${doc.issuer}`);
      const jwks = new URL(doc.jwks_uri);
      if (jwks.protocol !== "https:" && !(jwks.protocol === "http:" && new URL(provider.issuer).protocol === "http:")) throw new Error("jwks_uri is not https");
      return doc.jwks_uri;
    } catch (err) {
      this.logger?.warn({ err, provider: provider.name, url }, "platform sign-in: OpenID discovery failed");
      throw new RallyError("PROVIDER_UNAVAILABLE", `the ${provider.name} OpenID configuration cannot be fetched`, { cause: err });
    }
  }
}
