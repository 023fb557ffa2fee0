/**
 * The seam between the queue and whoever keeps parties (the social service). The queue never stores
 * parties itself: it asks who is in one, and queues them as one ticket.
 *
 * Queue flow for a party: every member joins the `queue` room with `{ mode, partyId }` (the social
 * service tells members when their leader starts queueing). The ticket is made once every member is
 * connected to the queue; each member gets its own `seat`. A member who leaves the queue (or the
 * party) cancels the ticket for all.
 */
import { RallyError } from "../protocol/index.ts";

export interface QueueParty {
  readonly partyId: string;
  readonly leaderId: string;
  /** Every member, leader included. */
  readonly memberIds: readonly string[];
}

export interface PartyDirectory {
  /** The party as `playerId` may queue it; throws a RallyError (PARTY_NOT_FOUND, NOT_IN_PARTY, PARTY_TOO_LARGE) when the party does not exist or the player is not in it. */
  forQueue(partyId: string, playerId: string): Promise<QueueParty>;
}

/** For one process and tests: parties set by hand. */
export class MemoryPartyDirectory implements PartyDirectory {
  private readonly parties = new Map<string, QueueParty>();

  set(party: QueueParty): void {
    this.parties.set(party.partyId, party);
  }

  delete(partyId: string): void {
    this.parties.delete(partyId);
  }

  async forQueue(partyId: string, playerId: string): Promise<QueueParty> {
    const party = this.parties.get(partyId);
    if (!party) throw new RallyError("PARTY_NOT_FOUND", `no party ${partyId}`);
    if (!party.memberIds.includes(playerId)) throw new RallyError("NOT_IN_PARTY", "you are not in this party");
    return party;
  }
}
