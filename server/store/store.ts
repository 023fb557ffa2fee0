/**
 * The persistence seam. Two implementations pass one conformance suite (test/store.test.ts):
 * memory (tests) and the embedded file store (default, DATA_DIR). MongoDB joins them in the
 * accounts issue.
 */
import type { MatchResult } from "../../rooms/index.ts";

export interface PlayerRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly deviceId?: string;
}

export interface Store {
  readonly players: {
    /** The guest player bound to this device id (created on first sight), or a new one without it. */
    guest(deviceId?: string): Promise<PlayerRecord>;
    get(playerId: string): Promise<PlayerRecord | null>;
  };
  readonly matches: {
    /** Records a result once; returns false (and changes nothing) when the matchId is already there. */
    record(result: MatchResult): Promise<boolean>;
    get(matchId: string): Promise<MatchResult | null>;
  };
  close(): Promise<void>;
}
