/**
 * What the social, lobby and relay rooms need from the rest of Rally, as small interfaces (rooms
 * never import `server/`). server/node wires the social service (server/social) into them.
 */
import type { ErrorCode } from "../../protocol/index.ts";
import type { PlayerIdentity, RoomLogger, TokenVerifier } from "../services.ts";

export interface SocialRoomServices {
  readonly tokens: TokenVerifier;
  readonly logger: RoomLogger;
  /** Region of the node hosting the room (default region of custom games). */
  readonly region: string;
  /** A player's `social` connection opened / closed (for good) on this node. */
  connected(playerId: string): Promise<void>;
  disconnected(playerId: string): Promise<void>;
  /** Pub/sub channel that carries one player's social events (`{ type, payload }`). */
  channelOf(playerId: string): string;
  /** What a player sees right after joining `social`: friends with presence, incoming requests, party. */
  snapshot(playerId: string): Promise<unknown>;
  /** Join codes for custom games and relay sessions. */
  createCode(kind: "custom" | "relay", roomId: string): Promise<string>;
  releaseCode(code: string): Promise<void>;
  /** True when the token is a live relay token issued to this player (not spent). */
  relayTokenFor(token: unknown, playerId: string): Promise<boolean>;
  /** Spends a relay token; true when it was issued to this player for this room. */
  redeemRelayToken(token: unknown, playerId: string, roomId: string): Promise<boolean>;
  /**
   * One attempt at a private game's join code by this player, counted against the same per-player
   * budget as `GET /v1/join-codes/:code`; throws a RallyError (RATE_LIMITED) when it is spent.
   */
  codeAttempt(playerId: string): Promise<void>;
  /**
   * Sends one chat message (already validated against `chatSendSchema`) for this player: the stored
   * message, or a refusal with its catalog code (and the chat filter's reason when it refused).
   */
  sendChat(sender: PlayerIdentity, message: ChatSendMessage): Promise<ChatSendOutcome>;
}

/** A `chat` message from a client to the `social` room. */
export interface ChatSendMessage {
  readonly channel: "direct" | "party" | "match";
  readonly to?: string;
  readonly matchId?: string;
  readonly text: string;
}

export type ChatSendOutcome =
  | { readonly ok: true; readonly message: unknown }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly reason?: string };
