/**
 * Short join codes (6 characters, no look-alikes such as 0/O or 1/I) for parties and private custom
 * games. A code maps to its target in the social KV (Redis in a cluster), so any node resolves it.
 */
import { randomInt } from "node:crypto";
import type { SocialKv } from "./kv.ts";

export const JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const JOIN_CODE = /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/;

/** party: a party id; custom: a custom-game room id; relay: a relay room id. */
export interface JoinTarget {
  readonly kind: "party" | "custom" | "relay";
  readonly id: string;
}

const key = (code: string) => `code:${code}`;

export class JoinCodes {
  constructor(private readonly kv: SocialKv, private readonly ttlMs = 24 * 3600_000) {}

  /** A fresh code bound to `target`. */
  async create(target: JoinTarget): Promise<string> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = Array.from({ length: 6 }, () => JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)]).join("");
      if (await this.kv.setNx(key(code), JSON.stringify(target), this.ttlMs)) return code;
    }
    throw new Error("could not allocate a join code");
  }

  /** Case-insensitive; null for an unknown or malformed code. */
  async resolve(code: string): Promise<JoinTarget | null> {
    const normalized = code.trim().toUpperCase();
    if (!JOIN_CODE.test(normalized)) return null;
    const raw = await this.kv.get(key(normalized));
    return raw ? (JSON.parse(raw) as JoinTarget) : null;
  }

  async release(code: string): Promise<void> {
    await this.kv.del(key(code));
  }
}
