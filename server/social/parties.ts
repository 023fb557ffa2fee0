/**
 * Parties: create, invite (friends) or join by code, accept, decline, leave, kick, promote, pick a
 * mode (size cap per mode), queue together. A party is one JSON record in the social KV (Redis in a
 * cluster), changed only by compare-and-set, so any node serves any member and two concurrent
 * changes never lose one another. `party:of:{playerId}` points at the player's party (claimed with
 * set-if-absent, so a player is never in two parties).
 *
 * Members are told about every change over the `social` room (SocialEvent.PARTY with the whole
 * party). When the leader starts queueing, every member gets PARTY_QUEUE `{ partyId, mode }` and joins
 * the `queue` room with `{ mode, partyId }`; the queue asks `forQueue` (PartyDirectory). A member who
 * leaves (or is kicked, or goes offline) while queued stops it: PARTY_QUEUE_CANCELLED to everyone,
 * and the SDK helper leaves the queue room, which cancels the ticket for all.
 * A leader who leaves or goes offline hands leadership to the longest-standing member.
 */
import { randomBytes } from "node:crypto";
import { RallyError } from "../errors.ts";
import type { PartyDirectory, QueueParty } from "../../matchmaker/party.ts";
import type { Store } from "../store/index.ts";
import { partyCapOf } from "../../matchmaker/index.ts";
import { SocialEvent, type SocialBus } from "./bus.ts";
import type { JoinCodes } from "./join-codes.ts";
import type { SocialKv } from "./kv.ts";

export interface PartyMember {
  readonly playerId: string;
  readonly name: string;
  readonly joinedAt: number;
}

interface PartyRecord {
  partyId: string;
  leaderId: string;
  members: PartyMember[];
  mode: string | null;
  code: string;
  /** playerId -> invite */
  invites: Record<string, { from: string; expiresAt: number }>;
  queue: { mode: string; since: number } | null;
  createdAt: number;
}

/** What members see. */
export interface PartyView {
  readonly partyId: string;
  readonly leaderId: string;
  readonly members: ReadonlyArray<{ readonly playerId: string; readonly name: string }>;
  readonly mode: string | null;
  readonly maxSize: number;
  readonly code: string;
  readonly invited: readonly string[];
  readonly queue: { readonly mode: string; readonly since: number } | null;
}

export interface Identity {
  readonly playerId: string;
  readonly name: string;
}

export interface PartyOptions {
  kv: SocialKv;
  bus: SocialBus;
  codes: JoinCodes;
  friends: Store["friends"];
  /** Largest party for a mode (null: no mode chosen yet); undefined refuses the mode as unknown (`partyCap`). */
  maxSizeFor(mode: string | null): number | undefined;
  inviteTtlMs?: number;
  now?: () => number;
  /** Leaves an inbox notification for an invited player (server/chat). */
  notify?(playerId: string, kind: "party_invite", data: Record<string, unknown>): void;
}

/** The modes a party may queue for, as far as parties care: each mode's party cap (matchmaker/rules.ts `party.maxSize`). */
export type PartyModes = Readonly<Record<string, { readonly rules: { readonly party: { readonly maxSize: number } } }>>;

/**
 * The one party-cap rule: a party fits the mode it queues for (that mode's `party.maxSize`); before a
 * mode is picked, the largest of them. Undefined for a mode no game defines.
 */
export function partyCap(modes: PartyModes, mode: string | null): number | undefined {
  // The matchmaker's rule (matchmaker/service.ts partyCapOf); before any mode exists a party is one player.
  return partyCapOf(modes, mode) ?? (mode === null ? 1 : undefined);
}

const PARTY_TTL_MS = 24 * 3600_000;
const partyKey = (id: string) => `party:${id}`;
const ofKey = (playerId: string) => `party:of:${playerId}`;

export class PartyService implements PartyDirectory {
  private readonly now: () => number;
  private readonly inviteTtlMs: number;

  constructor(private readonly o: PartyOptions) {
    this.now = o.now ?? Date.now;
    this.inviteTtlMs = o.inviteTtlMs ?? 5 * 60_000;
  }

  // ---- reads -------------------------------------------------------------------------------------

  async get(partyId: string): Promise<PartyView | null> {
    const p = await this.load(partyId);
    return p ? this.view(p) : null;
  }

  /** The player's party, or null. */
  async of(playerId: string): Promise<PartyView | null> {
    const p = await this.partyOf(playerId);
    return p ? this.view(p) : null;
  }

  /** PartyDirectory for the queue room. */
  async forQueue(partyId: string, playerId: string): Promise<QueueParty> {
    const p = await this.load(partyId);
    if (!p) throw new RallyError("PARTY_NOT_FOUND", `no party ${partyId}`);
    if (!p.members.some((m) => m.playerId === playerId)) throw new RallyError("NOT_IN_PARTY", "you are not in this party");
    const cap = this.o.maxSizeFor(p.queue?.mode ?? p.mode);
    if (cap !== undefined && p.members.length > cap) throw new RallyError("PARTY_TOO_LARGE", `party of ${p.members.length} is over ${cap}`);
    return { partyId: p.partyId, leaderId: p.leaderId, memberIds: p.members.map((m) => m.playerId) };
  }

  // ---- changes -----------------------------------------------------------------------------------

  async create(actor: Identity, mode: string | null = null): Promise<PartyView> {
    const cap = this.capOf(mode);
    if (cap < 1) throw new RallyError("PARTY_FULL");
    const partyId = randomBytes(9).toString("base64url");
    await this.claim(actor.playerId, partyId);
    const code = await this.o.codes.create({ kind: "party", id: partyId });
    const record: PartyRecord = {
      partyId, leaderId: actor.playerId, members: [{ playerId: actor.playerId, name: actor.name, joinedAt: this.now() }],
      mode, code, invites: {}, queue: null, createdAt: this.now(),
    };
    await this.o.kv.set(partyKey(partyId), JSON.stringify(record), PARTY_TTL_MS);
    this.push(record);
    return this.view(record);
  }

  /** Any member invites a friend (never a blocked player). */
  async invite(actor: Identity, targetId: string): Promise<PartyView> {
    if (targetId === actor.playerId) throw new RallyError("FRIEND_SELF");
    const mine = await this.partyOf(actor.playerId);
    if (!mine) throw new RallyError("NOT_IN_PARTY", "create a party first");
    if (await this.o.friends.blocked(actor.playerId, targetId)) throw new RallyError("FRIEND_BLOCKED");
    if (!(await this.o.friends.areFriends(actor.playerId, targetId))) throw new RallyError("NOT_FRIENDS", "you can only invite friends (or share the party's join code)");
    const expiresAt = this.now() + this.inviteTtlMs;
    const { after } = await this.update(mine.partyId, (p) => {
      this.requireMember(p, actor.playerId);
      if (p.members.some((m) => m.playerId === targetId)) throw new RallyError("ALREADY_IN_PARTY", "already a member");
      if (p.members.length >= this.capOf(p.mode)) throw new RallyError("PARTY_FULL");
      p.invites[targetId] = { from: actor.playerId, expiresAt };
      return p;
    });
    const invite = { partyId: after.partyId, from: actor.playerId, fromName: actor.name, mode: after.mode, expiresAt };
    this.o.bus.toPlayer(targetId, SocialEvent.PARTY_INVITE, invite);
    this.o.notify?.(targetId, "party_invite", invite);
    this.push(after);
    return this.view(after);
  }

  async accept(actor: Identity, partyId: string): Promise<PartyView> {
    return this.join(actor, partyId, (p) => {
      const inv = p.invites[actor.playerId];
      if (!inv || inv.expiresAt < this.now()) throw new RallyError("PARTY_INVITE_NOT_FOUND");
    });
  }

  async decline(actor: Identity, partyId: string): Promise<void> {
    const { after } = await this.update(partyId, (p) => {
      if (!p.invites[actor.playerId]) throw new RallyError("PARTY_INVITE_NOT_FOUND");
      delete p.invites[actor.playerId];
      return p;
    });
    this.push(after);
  }

  /** The code is an invite for anyone who has it (but not for a player the leader blocked). */
  async joinByCode(actor: Identity, code: string): Promise<PartyView> {
    const target = await this.o.codes.resolve(code);
    if (!target || target.kind !== "party") throw new RallyError("JOIN_CODE_NOT_FOUND");
    const p = await this.load(target.id);
    if (!p) throw new RallyError("JOIN_CODE_NOT_FOUND");
    if (await this.o.friends.blocked(p.leaderId, actor.playerId)) throw new RallyError("FRIEND_BLOCKED");
    return this.join(actor, target.id, () => undefined);
  }

  async leave(actor: Identity, reason: "left" | "disconnected" = "left"): Promise<void> {
    const p = await this.partyOf(actor.playerId);
    if (!p) throw new RallyError("NOT_IN_PARTY");
    await this.removeMember(p.partyId, actor.playerId, reason);
  }

  async kick(actor: Identity, targetId: string): Promise<PartyView> {
    const p = await this.requireOwnParty(actor.playerId);
    if (targetId === actor.playerId) throw new RallyError("FRIEND_SELF", "leave instead");
    if (p.leaderId !== actor.playerId) throw new RallyError("NOT_PARTY_LEADER");
    const after = await this.removeMember(p.partyId, targetId, "kicked", actor.playerId);
    return this.view(after!);
  }

  async promote(actor: Identity, targetId: string): Promise<PartyView> {
    const mine = await this.requireOwnParty(actor.playerId);
    const { after } = await this.update(mine.partyId, (p) => {
      if (p.leaderId !== actor.playerId) throw new RallyError("NOT_PARTY_LEADER");
      if (!p.members.some((m) => m.playerId === targetId)) throw new RallyError("NOT_IN_PARTY", "that player is not in your party");
      p.leaderId = targetId;
      return p;
    });
    this.push(after);
    return this.view(after);
  }

  async setMode(actor: Identity, mode: string | null): Promise<PartyView> {
    const mine = await this.requireOwnParty(actor.playerId);
    const cap = this.capOf(mode);
    const { after } = await this.update(mine.partyId, (p) => {
      requireLeaderWithin(p, actor.playerId, cap);
      p.mode = mode;
      return p;
    });
    this.push(after);
    return this.view(after);
  }

  /** The leader queues the party: every member is told to join `queue` with `{ mode, partyId }`. */
  async startQueue(actor: Identity, mode: string): Promise<PartyView> {
    const mine = await this.requireOwnParty(actor.playerId);
    const cap = this.capOf(mode);
    const { after } = await this.update(mine.partyId, (p) => {
      requireLeaderWithin(p, actor.playerId, cap);
      p.mode = mode;
      p.queue = { mode, since: this.now() };
      return p;
    });
    this.push(after);
    this.o.bus.toPlayers(after.members.map((m) => m.playerId), SocialEvent.PARTY_QUEUE, { partyId: after.partyId, mode });
    return this.view(after);
  }

  /** Any member stops the party's queueing (their clients leave the queue room, which cancels the ticket). */
  async cancelQueue(actor: Identity, reason = "cancelled"): Promise<PartyView> {
    const mine = await this.requireOwnParty(actor.playerId);
    const { before, after } = await this.update(mine.partyId, (p) => {
      this.requireMember(p, actor.playerId);
      p.queue = null;
      return p;
    });
    if (before.queue) this.o.bus.toPlayers(after.members.map((m) => m.playerId), SocialEvent.PARTY_QUEUE_CANCELLED, { partyId: after.partyId, reason, playerId: actor.playerId });
    this.push(after);
    return this.view(after);
  }

  /** The party's match started: queueing is over (no cancel event). */
  async matched(playerId: string): Promise<void> {
    const p = await this.partyOf(playerId);
    if (!p?.queue) return;
    const { after } = await this.update(p.partyId, (r) => ((r.queue = null), r));
    this.push(after);
  }

  // ---- internals ---------------------------------------------------------------------------------

  private capOf(mode: string | null): number {
    const cap = this.o.maxSizeFor(mode);
    if (cap === undefined) throw new RallyError("BAD_REQUEST", `unknown mode "${mode}"`);
    return cap;
  }

  private async join(actor: Identity, partyId: string, check: (p: PartyRecord) => void): Promise<PartyView> {
    await this.claim(actor.playerId, partyId);
    try {
      const { after } = await this.update(partyId, (p) => {
        check(p);
        if (p.members.some((m) => m.playerId === actor.playerId)) return p;
        if (p.members.length >= this.capOf(p.mode)) throw new RallyError("PARTY_FULL");
        delete p.invites[actor.playerId];
        p.members.push({ playerId: actor.playerId, name: actor.name, joinedAt: this.now() });
        return p;
      });
      this.push(after);
      return this.view(after);
    } catch (e) {
      await this.o.kv.cas(ofKey(actor.playerId), partyId, null);
      throw e;
    }
  }

  /** Removes a member; hands leadership over; stops queueing; deletes an empty party. Returns the party after (null when gone). */
  private async removeMember(partyId: string, playerId: string, reason: "left" | "kicked" | "disconnected", by?: string): Promise<PartyRecord | null> {
    const { before, after } = await this.update(partyId, (p) => {
      if (by && p.leaderId !== by) throw new RallyError("NOT_PARTY_LEADER");
      if (!p.members.some((m) => m.playerId === playerId)) throw new RallyError("NOT_IN_PARTY", "that player is not in the party");
      p.members = p.members.filter((m) => m.playerId !== playerId);
      if (p.members.length === 0) return null;
      if (p.leaderId === playerId) p.leaderId = [...p.members].sort((a, b) => a.joinedAt - b.joinedAt)[0]!.playerId;
      p.queue = null;
      return p;
    });
    await this.o.kv.cas(ofKey(playerId), partyId, null);
    this.o.bus.toPlayer(playerId, SocialEvent.PARTY, null);
    const everyone = [...before.members.map((m) => m.playerId)];
    if (before.queue) this.o.bus.toPlayers(everyone, SocialEvent.PARTY_QUEUE_CANCELLED, { partyId, reason: `member-${reason}`, playerId });
    if (!after) {
      await this.o.codes.release(before.code);
      return null;
    }
    this.push(after);
    return after;
  }

  /** Points party:of at this party unless the player is really in another one. */
  private async claim(playerId: string, partyId: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.o.kv.setNx(ofKey(playerId), partyId, PARTY_TTL_MS)) return;
      const current = await this.o.kv.get(ofKey(playerId));
      if (current === partyId) return;
      if (current !== null) {
        const p = await this.load(current);
        if (p?.members.some((m) => m.playerId === playerId)) throw new RallyError("ALREADY_IN_PARTY");
        await this.o.kv.cas(ofKey(playerId), current, null); // stale pointer
      }
    }
    throw new RallyError("ALREADY_IN_PARTY");
  }

  private async partyOf(playerId: string): Promise<PartyRecord | null> {
    const id = await this.o.kv.get(ofKey(playerId));
    if (!id) return null;
    const p = await this.load(id);
    return p?.members.some((m) => m.playerId === playerId) ? p : null;
  }

  private async requireOwnParty(playerId: string): Promise<PartyRecord> {
    const p = await this.partyOf(playerId);
    if (!p) throw new RallyError("NOT_IN_PARTY");
    return p;
  }

  private requireMember(p: PartyRecord, playerId: string): void {
    if (!p.members.some((m) => m.playerId === playerId)) throw new RallyError("NOT_IN_PARTY");
  }

  private async load(partyId: string): Promise<PartyRecord | null> {
    const raw = await this.o.kv.get(partyKey(partyId));
    return raw ? (JSON.parse(raw) as PartyRecord) : null;
  }

  /** Read, change, compare-and-set; retried on a concurrent change. `fn` returning null deletes the party. */
  private async update(partyId: string, fn: (p: PartyRecord) => PartyRecord | null): Promise<{ before: PartyRecord; after: PartyRecord }>;
  private async update(partyId: string, fn: (p: PartyRecord) => PartyRecord | null): Promise<{ before: PartyRecord; after: PartyRecord | null }>;
  private async update(partyId: string, fn: (p: PartyRecord) => PartyRecord | null): Promise<{ before: PartyRecord; after: PartyRecord | null }> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const raw = await this.o.kv.get(partyKey(partyId));
      if (!raw) throw new RallyError("PARTY_NOT_FOUND");
      const before = JSON.parse(raw) as PartyRecord;
      const draft = JSON.parse(raw) as PartyRecord;
      for (const [id, inv] of Object.entries(draft.invites)) if (inv.expiresAt < this.now()) delete draft.invites[id];
      const after = fn(draft);
      if (await this.o.kv.cas(partyKey(partyId), raw, after ? JSON.stringify(after) : null, PARTY_TTL_MS)) return { before, after };
    }
    throw new RallyError("INTERNAL", "party changed too often; try again");
  }

  private view(p: PartyRecord): PartyView {
    return {
      partyId: p.partyId, leaderId: p.leaderId, mode: p.mode, code: p.code,
      members: p.members.map((m) => ({ playerId: m.playerId, name: m.name })),
      maxSize: this.o.maxSizeFor(p.mode) ?? p.members.length,
      invited: Object.entries(p.invites).filter(([, i]) => i.expiresAt >= this.now()).map(([id]) => id),
      queue: p.queue,
    };
  }

  private push(p: PartyRecord): void {
    this.o.bus.toPlayers(p.members.map((m) => m.playerId), SocialEvent.PARTY, this.view(p));
  }
}

/** Only the leader sets the party's mode, and the party must fit that mode. */
function requireLeaderWithin(party: { leaderId: string; members: readonly unknown[] }, playerId: string, cap: number): void {
  if (party.leaderId !== playerId) throw new RallyError("NOT_PARTY_LEADER");
  if (party.members.length > cap) throw new RallyError("PARTY_FULL", `this mode takes parties of at most ${cap}`);
}
