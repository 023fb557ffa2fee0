/**
 * Rally's wire contracts, shared by the server and the SDK (`rally/protocol`): the error catalog and
 * the refusal decoder, the `queue` room's and match rooms' messages and payloads, the matchmade room
 * options and the Redis names processes share. Pure (zod and no Colyseus): the browser SDK can import
 * it. The refusal encoder, which builds a Colyseus ServerError, is `encodeRefusal` in ./server.ts.
 */
export {
  ColyseusErrorCode, ERRORS, ERROR_CODES, RallyError, closeCodeOf, codeOf, decodeRefusal, isErrorCode, isRallyError, refusalText,
  type ErrorCode, type ErrorDetails, type ErrorSpec, type Refusal,
} from "./errors.ts";
export {
  QueueCancelReason, QueueMessage, SERVER_ONLY_QUEUE_OPTIONS, partyIdSchema, proposalAnswerSchema, proposalNoticeSchema, queueJoinSchema, queueStatusSchema, regionNameSchema, seatReservationSchema,
  type ProposalAnswer, type ProposalNotice, type QueueJoinOptions, type QueueStatus, type SeatReservation,
} from "./queue.ts";
export {
  MatchMessage, alreadyInMatchDetailsSchema, backfillAdmissionSchema, backfillOpeningSchema, currentMatchResponseSchema, currentMatchSchema, heldSeatSchema, matchOutcomeSchema, matchResultPlayerSchema,
  matchResultSchema, matchmadeOptionsSchema, noShowReportSchema, rejoinResponseSchema, rejoinSeatSchema,
  type BackfillAdmission, type BackfillOpening, type CurrentMatch, type CurrentMatchResponse, type HeldSeat, type RejoinResponse, type RejoinSeat,
  type DrainingNotice, type MatchOutcome, type MatchResult, type MatchResultPlayer, type MatchmadeOptions, type NoShowReport, type RequeueNotice, type RoomErrorMessage,
} from "./match.ts";
export { SocialMessage } from "./messages.ts";
export { CAPACITY_BY_MODE_KEY, CAPACITY_WAIT_KEY, MM_PREFIX, OLDEST_BY_MODE_KEY, OLDEST_WAIT_KEY, TTM_KEY, backfillKey, cooldownKey, proposalKey, seatTopic } from "./cluster-keys.ts";
