/**
 * Ids that sort by time: 9 base-36 digits of epoch ms (fixed width until the year 5188), then 16
 * hex characters, random or derived from a key. Chat and inbox pages are ordered by id alone, so a
 * page cursor is simply the last id seen; a derived suffix makes a notification idempotent (the same
 * match result lands once however often it is reported).
 */
import { createHash, randomBytes } from "node:crypto";

export const SORTABLE_ID = /^[0-9a-z]{9}[0-9a-f]{16}$/;

export function chatId(at: number, key?: string): string {
  const suffix = key === undefined ? randomBytes(8).toString("hex") : createHash("sha256").update(key).digest("hex").slice(0, 16);
  return Math.max(0, Math.floor(at)).toString(36).padStart(9, "0") + suffix;
}
