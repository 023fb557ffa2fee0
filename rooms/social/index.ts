export { SocialRoom, bindSocialRoom, chatSendSchema, SOCIAL_RECONNECT_S } from "./social-room.ts";
export {
  CustomGameRoom, RelaySessionRoom, PeerState, bindPeerRoom, customGameOptionsSchema, relayOptionsSchema,
  RELAY_MAX_MESSAGE_BYTES, RELAY_MAX_MESSAGES_PER_S, RELAY_RECONNECT_S, type PeerStateView,
} from "./peer-room.ts";
export type { SocialRoomServices, ChatSendMessage, ChatSendOutcome } from "./services.ts";
