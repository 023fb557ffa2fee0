/**
 * Public surface of the matchmaker core: transport-free, clock-free, I/O only through the
 * injected TicketStore / Lease. The Colyseus `queue` room and the provisioner build on this.
 */
export { DEFAULT_SHARD, defineModes, latencyBudgetAt, mayRoam, parseModeRules, regionsAt, RulesError, shardOf, shardRules, shardsOf, ticketShard, windowAt, WidenCurve } from "./rules.ts";
export type { AttributeRuleInput, ModeRules, ModeRulesInput, ModeTable, RegionStep, WindowRule } from "./rules.ts";
export { DEFAULT_HOOK_CALLS_PER_PASS } from "./rules.ts";
export { attributeRulesOf, commonAttributes, MAX_ATTRIBUTE_ITEMS, MAX_ATTRIBUTES, MAX_ATTRIBUTES_JSON, parseTicketAttributes, partyAttributes, ticketAttributesSchema } from "./attributes.ts";
export type { AttributePrimitive, AttributeValue, CandidateTicket, MatchCandidate, MatchHook, TicketAttributes } from "./attributes.ts";
export { makeTicket, TicketSchema, TicketState, ticketSize, waitS } from "./ticket.ts";
export type { Ticket, TicketInput } from "./ticket.ts";
export { eloWinProb, Matcher, runPass } from "./matcher.ts";
export type { Match, MatchTeam, PassOptions, PassResult } from "./matcher.ts";
export { EXACT_MAX_PLAYERS, parityHolds, splitTeams } from "./teams.ts";
export type { ParityRule, TeamItem, TeamSplit } from "./teams.ts";
export { ELO_PER_MU, OpenSkillModel } from "./rating.ts";
export type { RatingModel, Skill } from "./rating.ts";
export { MemoryTicketStore, shardKey } from "./ticket-store.ts";
export type { ClaimResult, StoredTicket, TicketStore, WaitingChanges, WaitingCursor, WaitingFilter, WaitingSnapshot } from "./ticket-store.ts";
export { WaitingMirror } from "./waiting-mirror.ts";
export type { MirrorSync } from "./waiting-mirror.ts";
export { RedisTicketStore } from "./ticket-store-redis.ts";
export { LocalLease, RedisLease } from "./lease.ts";
export type { Lease, LeaseGrant } from "./lease.ts";
export { createRng } from "./random.ts";
export type { Rng } from "./random.ts";
export { generateArrivals, parseScenario, ScenarioSchema, scenarioRules, simulateRally, simulateRallyRun } from "./simulator.ts";
export type { Scenario, SimArrival, SimFill, SimJoin, SimMatch, SimPlayer, SimRun, SimSeat } from "./simulator.ts";
export { measure } from "./sim-metrics.ts";
export type { MatcherFigures } from "./sim-metrics.ts";
export { MemoryPartyDirectory } from "./party.ts";
export type { PartyDirectory, QueueParty } from "./party.ts";
export { MemoryPlayerIndex, PlayerQueueState, RedisPlayerIndex } from "./player-index.ts";
export type { PlayerIndex, PlayerPatch, PlayerRecord } from "./player-index.ts";
export { createMatchmakerMetrics } from "./metrics.ts";
export type { MatchmakerMetrics } from "./metrics.ts";
export { MatchmakerService, OLDEST_WAIT_KEY, CAPACITY_WAIT_KEY, partyCapOf, seatTopic, STALE_QUEUE_MS, MATCHED_TTL_MS } from "./service.ts";
export { allowed, handleOf, noShowOutcome, phaseOf, statusStateOf, TICKET_TRANSITIONS, TicketLifecycle, TicketLifecycleError, TicketLifecycleErrorCode, TicketPhase } from "./ticket-lifecycle.ts";
export type { PlayerStanding, TicketHandle, TicketLifecycleDeps, TicketTransition } from "./ticket-lifecycle.ts";
export type { Bus, MatchListing, MatchmakerDeps, NoShowReport, PassPhases, QueueMode, QueueModes, RoomApi, SeatNotice, SeatReservation } from "./service.ts";
export { atFault, decideProposal, MemoryProposalStore, RedisProposalStore } from "./proposal-store.ts";
export type { AnswerResult, ProposalAnswerKind, ProposalOutcome, ProposalStore, ProposalView } from "./proposal-store.ts";
export { createQueueRoom, parseQueueJoin } from "./queue-room.ts";
export type { QueueAuth, QueueJoin, QueueRoomDeps } from "./queue-room.ts";
export { colyseusRoomApi, createMatchmaking } from "./wiring.ts";
export type { Matchmaking, MatchmakingOptions } from "./wiring.ts";
