/**
 * Relay tokens: the server's permission to take a seat in one relay session. Opaque random strings
 * in the social KV (Redis in a cluster) bound to (playerId, roomId), valid for a short time and
 * spent on use, so a token cannot be replayed, shared with another player or used for another room.
 */
import { randomBytes } from "node:crypto";
import type { SocialKv } from "./kv.ts";

export interface RelayGrant {
  readonly playerId: string;
  readonly roomId: string;
}

const key = (token: string) => `relay:tok:${token}`;

export class RelayTokens {
  constructor(private readonly kv: SocialKv, readonly ttlMs = 60_000) {}

  async issue(grant: RelayGrant): Promise<string> {
    const token = randomBytes(24).toString("base64url");
    await this.kv.set(key(token), JSON.stringify(grant), this.ttlMs);
    return token;
  }

  /** Checks without spending: issued to this player and still valid. */
  async validFor(token: unknown, playerId: string): Promise<boolean> {
    if (typeof token !== "string" || !/^[A-Za-z0-9_-]{16,64}$/.test(token)) return false;
    const raw = await this.kv.get(key(token));
    return raw !== null && (JSON.parse(raw) as RelayGrant).playerId === playerId;
  }

  /** Spends the token; true only when it was issued to this player for this room and is still valid. */
  async redeem(token: unknown, playerId: string, roomId: string): Promise<boolean> {
    if (typeof token !== "string" || !/^[A-Za-z0-9_-]{16,64}$/.test(token)) return false;
    const raw = await this.kv.take(key(token));
    if (!raw) return false;
    const grant = JSON.parse(raw) as RelayGrant;
    return grant.playerId === playerId && grant.roomId === roomId;
  }
}
