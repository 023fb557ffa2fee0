/**
 * Redis and presence names that processes of different roles share: the matchmaker writes them, the
 * pool manager, the admin console and the load tools read them. Declared once here; the Redis stores
 * of the matchmaker (tickets, player records, leases) build their own keys under MM_PREFIX
 * (layouts in matchmaker/README.md).
 */

/** Prefix of every matchmaker key (`t:`, `w:`, `p:`, `lease:`, ...). */
export const MM_PREFIX = "rally:mm:";

/** Presence topic of one ticket's seats (SeatNotice), published by the matcher leader, heard by the queue room holding the ticket. */
export const seatTopic = (ticketId: string): string => `${MM_PREFIX}seat:${ticketId}`;

/** Hash of one match proposal (modes with `acceptS`): its players, their answers and its outcome; expires after the deadline. */
export const proposalKey = (matchId: string): string => `${MM_PREFIX}proposal:${matchId}`;
/** A player's queue cooldown after declining or missing a proposal (value: until, ms epoch; PX = the cooldown). */
export const cooldownKey = (playerId: string): string => `${MM_PREFIX}cooldown:${playerId}`;

/** Hash of one (mode, shard)'s open backfill seats: field matchId -> BackfillOpening with the players' ratings (JSON); written by the rooms' nodes, read by the shard's leader. */
export const backfillKey = (shardKey: string): string => `${MM_PREFIX}backfill:${shardKey}`;

/** Hash region -> oldest wait in seconds (max over modes): the pool manager's `queueWaitS`. */
export const OLDEST_WAIT_KEY = `${MM_PREFIX}oldest-wait`;
/** Hash `mode|region` -> oldest wait in seconds, one field per matcher leader's (mode, region). */
export const OLDEST_BY_MODE_KEY = `${MM_PREFIX}oldest-wait:by-mode`;
/**
 * Hash region -> seconds the pool manager scales up on: the oldest wait of tickets whose match found
 * no node (`no-node`, `create-failed`), max over modes. A queue that lacks players never appears in it.
 */
export const CAPACITY_WAIT_KEY = `${MM_PREFIX}capacity-wait`;
/** Hash `mode|region` -> capacity wait in seconds. */
export const CAPACITY_BY_MODE_KEY = `${MM_PREFIX}capacity-wait:by-mode`;
/** Hash `mode|region` -> recent time-to-match `{ p50, p90, n }` (JSON), read by every queue room for its estimates. */
export const TTM_KEY = `${MM_PREFIX}ttm`;
