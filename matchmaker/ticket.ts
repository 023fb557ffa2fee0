/**
 * Tickets: one per solo player or party, the unit the matcher moves around.
 *
 * Matching rules live in `rules.ts`; a ticket carries only facts (who, how good, where,
 * since when). Lifecycle bookkeeping (`TicketState`) is kept by the `TicketStore`.
 */
import { z } from "zod";
import { RallyError } from "../protocol/index.ts";
import { ticketAttributesSchema, type TicketAttributes } from "./attributes.ts";

export const TicketSchema = z.object({
  id: z.string().min(1),
  mode: z.string().min(1),
  /** all players of the party; a solo ticket has one */
  playerIds: z.array(z.string().min(1)).min(1),
  partyId: z.string().min(1).optional(),
  /** search rating (Elo-like scale, see rating.ts), one per player in playerIds order */
  playerRatings: z.array(z.number().finite()).min(1),
  /** region the ticket lives in (best latency, or server-assigned) */
  region: z.string().min(1),
  /** measured round-trip per region, ms; missing region = unreachable */
  latencies: z.record(z.string(), z.number().nonnegative()).default({}),
  /** ms since epoch (or any monotonic origin shared with `now`); kept across requeues */
  enqueuedAt: z.number().finite(),
  /** the mode's extra attributes (attributes.ts), validated by its schema at the queue edge; bounded in size */
  attributes: ticketAttributesSchema.optional(),
}).refine((t) => t.playerRatings.length === t.playerIds.length, { message: "one rating per player" })
  .refine((t) => new Set(t.playerIds).size === t.playerIds.length, { message: "duplicate player in ticket" });

export type TicketInput = z.input<typeof TicketSchema>;

export interface Ticket {
  readonly id: string;
  readonly mode: string;
  readonly playerIds: readonly string[];
  readonly partyId?: string;
  readonly playerRatings: readonly number[];
  /** party search rating: the mean of its players (FlexMatch's `avg` party aggregation) */
  readonly rating: number;
  readonly region: string;
  readonly latencies: Readonly<Record<string, number>>;
  readonly enqueuedAt: number;
  /** the mode's extra ticket attributes (absent: the mode declares none, or the client sent none) */
  readonly attributes?: TicketAttributes;
}

export const TicketState = { waiting: "waiting", matched: "matched", cancelled: "cancelled" } as const;
export type TicketState = typeof TicketState[keyof typeof TicketState];

/** Validate untrusted input (e.g. from the queue room adapter) into a Ticket. */
export function makeTicket(input: TicketInput): Ticket {
  const parsed = TicketSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RallyError("MM_INVALID_TICKET", `${issue?.path.join(".") || "ticket"}: ${issue?.message}`);
  }
  const t = parsed.data;
  let sum = 0;
  for (const r of t.playerRatings) sum += r;
  return { ...t, rating: sum / t.playerRatings.length };
}

export function ticketSize(t: Ticket): number {
  return t.playerIds.length;
}

export function waitS(t: Ticket, nowMs: number): number {
  return Math.max(0, (nowMs - t.enqueuedAt) / 1000);
}
