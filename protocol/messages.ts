/**
 * Message type names of Rally's rooms and the queue's cancel reasons, as `as const` objects. Kept free
 * of zod so the browser SDK can use the names without bundling the schemas (./queue.ts, ./match.ts).
 */
import type { ErrorCode } from "./errors.ts";

/** Message types of the `queue` room. */
export const QueueMessage = {
  /** server -> client: QueueStatus, on every change and once a second. */
  STATUS: "status",
  /** server -> client: SeatReservation, once the match room has the player's seat. */
  SEAT: "seat",
  /** client -> server: the seat arrived; the server closes the queue connection. */
  CONFIRM: "confirm",
  /** server -> client: RoomErrorMessage (an unknown message type, or a party's ticket that could not be made). */
  ERROR: "error",
  /** server -> client: ProposalNotice, a match was found in a mode with `acceptS`; answer `accept` or `decline` before `deadlineMs`. */
  PROPOSAL: "proposal",
  /** client -> server: ProposalAnswer `{ matchId }`, the player takes the proposed match. */
  ACCEPT: "accept",
  /** client -> server: ProposalAnswer `{ matchId }`, the player refuses it (its ticket ends; a queue cooldown follows). */
  DECLINE: "decline",
} as const;
export type QueueMessage = (typeof QueueMessage)[keyof typeof QueueMessage];

/** Messages every match room sends (a game adds its own). */
export const MatchMessage = {
  /** server -> client: RoomErrorMessage for one client (a refused input, an unknown message type). */
  ERROR: "error",
  /** server -> all: the MatchResult, once, when the match ends. */
  RESULT: "result",
  /** server -> all: DrainingNotice, the node is shutting down; the running match may go on that long. */
  DRAINING: "draining",
  /** server -> all: RequeueNotice, the match was cancelled for missing players; queue again (same ticket). */
  REQUEUE: "requeue",
} as const;
export type MatchMessage = (typeof MatchMessage)[keyof typeof MatchMessage];

/**
 * Message types of the `social` room. The pushed events (presence to inbox) are what server/social
 * publishes on a player's channel (`SocialEvent`); the room forwards each as a message of that type.
 */
export const SocialMessage = {
  /** server -> client, on join: `{ friends, party, inbox: { unread } }`. */
  SNAPSHOT: "snapshot",
  /** `{ playerId, status, mode, since }`: a friend's presence changed. */
  PRESENCE: "presence",
  /** `{ kind, playerId }`: a friend request arrived, was accepted, declined or a friend removed you. */
  FRIENDS: "friends",
  /** The whole party as the member sees it (`PartyView`), or null once you are out of it. */
  PARTY: "party",
  /** `{ partyId, from, fromName, mode, expiresAt }`: you were invited to a party. */
  PARTY_INVITE: "party.invite",
  /** `{ partyId, mode }`: your leader started queueing: join `queue` with `{ mode, partyId }`. */
  PARTY_QUEUE: "party.queue",
  /** `{ partyId, reason, playerId? }`: the party's queueing stopped (a member left, the leader cancelled). */
  PARTY_QUEUE_CANCELLED: "party.queue.cancelled",
  /** client -> server: a chat send `{ channel, text, ref? }`; server -> client: a ChatMessage on a channel you are in. */
  CHAT: "chat",
  /** server -> sender: `{ ref, message }`, the send was stored and delivered. */
  CHAT_SENT: "chat.sent",
  /** server -> sender: `{ ref, code, message, reason? }`, the send was refused (a catalog code). */
  CHAT_ERROR: "chat.error",
  /** `{ item, unread }`: a new inbox notification. */
  INBOX: "inbox",
  /** `{ unread }`: your unread count changed (items marked read on any device). */
  INBOX_UNREAD: "inbox.unread",
} as const;
export type SocialMessage = (typeof SocialMessage)[keyof typeof SocialMessage];

/** Why a ticket was cancelled: the `reason` of a `cancelled` status (each is an ErrorCode). */
export const QueueCancelReason = {
  LEFT: "LEFT",
  PARTY_MEMBER_LEFT: "PARTY_MEMBER_LEFT",
  QUEUE_CLOSED: "QUEUE_CLOSED",
  TICKET_LOST: "TICKET_LOST",
  PROPOSAL_DECLINED: "PROPOSAL_DECLINED",
  PROPOSAL_TIMEOUT: "PROPOSAL_TIMEOUT",
} as const satisfies Record<string, ErrorCode>;
export type QueueCancelReason = (typeof QueueCancelReason)[keyof typeof QueueCancelReason];
