/**
 * Gateway limits on rate-limiter-flexible: Redis-backed when the node has Redis (every node of a
 * cluster counts against the same budget), memory otherwise. A Redis limiter falls back to a memory
 * "insurance" limiter while Redis is unreachable, so the API keeps answering.
 *
 * - per client address on the auth routes (AUTH_RATE_PER_MIN) and on every /v1 route (API_RATE_PER_MIN);
 * - per account on authenticated routes (ACCOUNT_RATE_PER_MIN);
 * - per device id on guest sign-in (GUEST_DEVICE_RATE_PER_MIN);
 * - login brute force, per username: every attempt first reserves one of LOGIN_LOCKOUT_AFTER points
 *   (an atomic consume) and only then is the password checked, so a parallel burst cannot check more
 *   passwords than the lockout allows; a failure keeps its point, a success clears them all. After
 *   LOGIN_SLOW_AFTER failures each answer is delayed (doubling, capped at 2 s); with no point left the
 *   username is locked for LOGIN_LOCKOUT_S (ACCOUNT_LOCKED with Retry-After).
 */
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { RallyError } from "../errors.ts";

export interface LimitSettings {
  authPerMin: number;
  apiPerMin: number;
  accountPerMin: number;
  loginSlowAfter: number;
  loginLockoutAfter: number;
  loginLockoutS: number;
  /** Guest sign-ins per device id per minute. */
  guestDevicePerMin: number;
}

export interface Limits {
  /** Throws RATE_LIMITED (with `retryAfterS`) when the key is over budget. */
  auth(ip: string): Promise<void>;
  api(ip: string): Promise<void>;
  account(playerId: string): Promise<void>;
  guestDevice(deviceId: string): Promise<void>;
  /**
   * Before checking a password: reserves one attempt for the username (atomically), throws
   * ACCOUNT_LOCKED when none is left, waits when the username is being slowed.
   */
  beforeLogin(username: string): Promise<void>;
  /** The reserved attempt failed: it stays counted. */
  loginFailed(username: string): Promise<void>;
  loginSucceeded(username: string): Promise<void>;
}

export function createLimits(settings: LimitSettings, redis?: Redis, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Limits {
  const make = (keyPrefix: string, points: number, duration: number, blockDuration = 0): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration, blockDuration });
    if (!redis) return memory;
    return new RateLimiterRedis({ storeClient: redis, keyPrefix: `rally:rl:${keyPrefix}`, points, duration, blockDuration, insuranceLimiter: memory, rejectIfRedisNotReady: true });
  };
  const auth = make("auth", settings.authPerMin, 60);
  const api = make("api", settings.apiPerMin, 60);
  const account = make("acct", settings.accountPerMin, 60);
  const logins = make("login", settings.loginLockoutAfter, settings.loginLockoutS, settings.loginLockoutS);
  const devices = make("guestdev", settings.guestDevicePerMin, 60);

  const limit = (limiter: RateLimiterAbstract, key: string, what: string) =>
    limiter.consume(key).then(() => undefined, (res: unknown) => {
      if (res instanceof RateLimiterRes) throw new RallyError("RATE_LIMITED", `too many ${what}; retry in ${Math.ceil(res.msBeforeNext / 1000)} s`, { retryAfterS: Math.ceil(res.msBeforeNext / 1000) });
      throw res;
    });
  const userKey = (u: string) => u.toLowerCase();

  return {
    auth: (ip) => limit(auth, ip, `auth requests (limit ${settings.authPerMin}/min)`),
    api: (ip) => limit(api, ip, `requests (limit ${settings.apiPerMin}/min)`),
    account: (playerId) => limit(account, playerId, `requests for this account (limit ${settings.accountPerMin}/min)`),
    guestDevice: (deviceId) => limit(devices, deviceId, `guest sign-ins for this device (limit ${settings.guestDevicePerMin}/min)`),
    async beforeLogin(username) {
      let reserved: RateLimiterRes;
      try {
        reserved = await logins.consume(userKey(username));
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
        const s = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw new RallyError("ACCOUNT_LOCKED", `too many failed logins; try again in ${s} s`, { retryAfterS: s });
      }
      const failuresBefore = reserved.consumedPoints - 1;
      if (failuresBefore >= settings.loginSlowAfter) await sleep(Math.min(2000, 250 * 2 ** (failuresBefore - settings.loginSlowAfter)));
    },
    async loginFailed() {
      // Nothing to add: beforeLogin's reservation is the failure's point.
    },
    async loginSucceeded(username) {
      await logins.delete(userKey(username));
    },
  };
}
