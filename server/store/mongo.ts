/**
 * The production store: MongoDB through mongoose (MONGO_URL). Multi-document writes (a match
 * result with its ratings, history, leaderboard rows and rewards; inventory operations with their
 * idempotency key) run in a transaction, so MONGO_URL must point at a replica set (a single-node
 * replica set is enough: `mongod --replSet rs0` + `rs.initiate()`). Single-document races
 * (refresh-token rotation, consume below zero) are conditional updates.
 *
 * It passes the same conformance suite as the embedded store (test/server/store/store.test.ts runs it whenever
 * MONGO_URL is set; CI, without MongoDB, runs the suite on the embedded store).
 */
import { randomUUID } from "node:crypto";
import mongoose, { Schema, type ClientSession, type Connection } from "mongoose";
import type { MatchResult } from "../../rooms/index.ts";
import { RallyError } from "../errors.ts";
import { ConfigError } from "../config.ts";
import {
  checkItems, guestName, operationDigest,
  type HistoryEntry, type InventoryChange, type Items, type LeaderboardEntry, type LeaderboardWrite,
  type FriendLink, type IdentityRecord, type PlayerRecord, type RatingRecord, type Store, type StoreHooks,
} from "./store.ts";
import { mongoChatRepos } from "./chat-mongo.ts";

interface PlayerDoc {
  _id: string; name: string; createdAt: number; deviceId?: string | null; username?: string | null;
  usernameLower?: string | null; passwordHash?: string | null; ban?: { reason: string; at: number } | null;
  /** Bumped by every identity link and unlink, so two concurrent ones of one player conflict (one retries). */
  credentialsRev?: number;
}
interface IdentityDoc { _id: string; provider: string; subject: string; playerId: string; linkedAt: number }
interface SessionDoc { _id: string; playerId: string; jti: string; expiresAt: number; revokedAt: number | null }
interface RatingDoc extends Omit<RatingRecord, never> { _id: string }
interface MatchDoc { _id: string; endedAt: number; body: string }
interface HistoryDoc extends HistoryEntry { _id: string }
interface BoardDoc { _id: string; board: string; playerId: string; score: number; updatedAt: number }
interface InventoryDoc { _id: string; items: Map<string, number> }
interface KeyDoc { _id: string; digest: string; createdAt: number }
interface FriendLinkDoc { _id: string; owner: string; other: string; kind: "friend" | "request" | "block"; since: number }
interface EventDoc { at: number; type: string; playerId: string | null; data: unknown }

const DUPLICATE_KEY = 11000;
const isDuplicate = (e: unknown) => (e as { code?: number }).code === DUPLICATE_KEY;

function models(conn: Connection) {
  const players = conn.model<PlayerDoc>("Player", new Schema<PlayerDoc>({
    _id: String, name: { type: String, required: true }, createdAt: { type: Number, required: true },
    deviceId: { type: String, default: null }, username: { type: String, default: null },
    usernameLower: { type: String, default: null }, passwordHash: { type: String, default: null },
    ban: { type: new Schema({ reason: String, at: Number }, { _id: false }), default: null },
    credentialsRev: { type: Number, default: 0 },
  }, { versionKey: false, collection: "players" })
    .index({ deviceId: 1 }, { unique: true, partialFilterExpression: { deviceId: { $type: "string" } } })
    .index({ usernameLower: 1 }, { unique: true, partialFilterExpression: { usernameLower: { $type: "string" } } }));
  const sessions = conn.model<SessionDoc>("Session", new Schema<SessionDoc>({
    _id: String, playerId: { type: String, index: true }, jti: String, expiresAt: Number, revokedAt: { type: Number, default: null },
  }, { versionKey: false, collection: "sessions" }));
  const ratings = conn.model<RatingDoc>("Rating", new Schema<RatingDoc>({
    _id: String, playerId: { type: String, index: true }, mode: String, mu: Number, sigma: Number, mmr: Number,
    wins: Number, losses: Number, draws: Number, matches: Number, updatedAt: Number,
  }, { versionKey: false, collection: "ratings" }));
  const matches = conn.model<MatchDoc>("Match", new Schema<MatchDoc>({ _id: String, endedAt: Number, body: String },
    { versionKey: false, collection: "matches" }));
  const history = conn.model<HistoryDoc>("History", new Schema<HistoryDoc>({
    _id: String, playerId: String, matchId: String, mode: String, endedAt: Number, team: Number, score: Number,
    outcome: String, mmrBefore: { type: Number, default: null }, mmrAfter: { type: Number, default: null },
  }, { versionKey: false, collection: "history" }).index({ playerId: 1, endedAt: -1, matchId: -1 }));
  const boards = conn.model<BoardDoc>("LeaderboardEntry", new Schema<BoardDoc>({
    _id: String, board: String, playerId: String, score: Number, updatedAt: Number,
  }, { versionKey: false, collection: "leaderboards" }).index({ board: 1, score: -1, playerId: -1 }));
  const inventory = conn.model<InventoryDoc>("Inventory", new Schema<InventoryDoc>({
    _id: String, items: { type: Map, of: Number, default: () => new Map() },
  }, { versionKey: false, collection: "inventory" }));
  const keys = conn.model<KeyDoc>("IdempotencyKey", new Schema<KeyDoc>({ _id: String, digest: String, createdAt: Number },
    { versionKey: false, collection: "idempotency" }));
  const events = conn.model<EventDoc>("Event", new Schema<EventDoc>({
    at: Number, type: String, playerId: { type: String, default: null }, data: Schema.Types.Mixed,
  }, { versionKey: false, collection: "events" }));
  const friendLinks = conn.model<FriendLinkDoc>("FriendLink", new Schema<FriendLinkDoc>({
    _id: String, owner: String, other: String, kind: String, since: Number,
  }, { versionKey: false, collection: "friend_links" }).index({ owner: 1, kind: 1 }).index({ other: 1, kind: 1 }));
  // _id is provider + NUL + subject: one identity, one player. One identity per provider per player.
  const identities = conn.model<IdentityDoc>("Identity", new Schema<IdentityDoc>({
    _id: String, provider: String, subject: String, playerId: String, linkedAt: Number,
  }, { versionKey: false, collection: "identities" }).index({ playerId: 1, provider: 1 }, { unique: true }));
  return { players, sessions, ratings, matches, history, boards, inventory, keys, events, friendLinks, identities };
}

const toPlayer = (d: PlayerDoc): PlayerRecord => ({
  id: d._id, name: d.name, createdAt: d.createdAt,
  ...(d.deviceId ? { deviceId: d.deviceId } : {}),
  ...(d.username ? { username: d.username } : {}),
  ...(d.ban ? { banned: { reason: d.ban.reason, at: d.ban.at } } : {}),
});
const toIdentity = (d: IdentityDoc): IdentityRecord => ({ provider: d.provider, subject: d.subject, playerId: d.playerId, linkedAt: d.linkedAt });
const identityId = (provider: string, subject: string) => `${provider}\u0000${subject}`;
const toRating = (d: RatingDoc): RatingRecord => ({
  playerId: d.playerId, mode: d.mode, mu: d.mu, sigma: d.sigma, mmr: d.mmr,
  wins: d.wins, losses: d.losses, draws: d.draws, matches: d.matches, updatedAt: d.updatedAt,
});
const toHistory = (d: HistoryDoc): HistoryEntry => ({
  playerId: d.playerId, matchId: d.matchId, mode: d.mode, endedAt: d.endedAt, team: d.team, score: d.score,
  outcome: d.outcome, mmrBefore: d.mmrBefore ?? null, mmrAfter: d.mmrAfter ?? null,
});
const itemsOf = (d: { items?: Map<string, number> | Record<string, number> } | null): Record<string, number> => {
  const out: Record<string, number> = {};
  const src = d?.items instanceof Map ? Object.fromEntries(d.items) : (d?.items ?? {});
  for (const k of Object.keys(src).sort()) if (src[k] > 0) out[k] = src[k];
  return out;
};

export interface MongoStoreOptions {
  url: string;
  /** Database name; default: the one in the URL. */
  dbName?: string;
  hooks?: StoreHooks;
}

/** The part of the MongoDB driver's `Admin` the transaction check uses (a fake in tests). */
export interface MongoAdmin {
  command(command: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/**
 * Results and inventory are MongoDB transactions, which a standalone mongod refuses on first use.
 * Checked at start instead: a replica set member (`setName`) or a mongos router (`msg: "isdbgrid"`)
 * passes; anything else stops the node with one line saying how to fix it.
 */
export async function checkMongoTransactions(admin: MongoAdmin): Promise<void> {
  const hello = await admin.command({ hello: 1 }).catch(() => admin.command({ isMaster: 1 }));
  if (typeof hello.setName === "string" || hello.msg === "isdbgrid") return;
  throw new ConfigError("MONGO_URL", "the MongoDB server is a standalone mongod, which has no transactions (results and inventory need them): " +
    "run it as a replica set (mongod --replSet rs0, then rs.initiate() once; one member is enough) or point MONGO_URL at a mongos");
}

export async function createMongoStore({ url, dbName, hooks = {} }: MongoStoreOptions): Promise<Store> {
  const conn = await mongoose.createConnection(url, { dbName, serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    await checkMongoTransactions(conn.db!.admin() as unknown as MongoAdmin);
  } catch (e) {
    await conn.close().catch(() => undefined);
    throw e;
  }
  const m = models(conn);
  await Promise.all(Object.values(m).map((model) => model.createCollection().then(() => model.syncIndexes())));
  const tx = <T>(fn: (session: ClientSession) => Promise<T>): Promise<T> => conn.transaction(fn);

  async function claimKey(session: ClientSession, playerId: string, key: string, digest: string): Promise<boolean> {
    try {
      await m.keys.create([{ _id: `${playerId}\u0000${key}`, digest, createdAt: Date.now() }], { session });
      return true;
    } catch (e) {
      if (!isDuplicate(e)) throw e;
      const seen = await m.keys.findById(`${playerId}\u0000${key}`).session(session).lean();
      if (seen && seen.digest !== digest) throw new RallyError("IDEMPOTENCY_CONFLICT", `idempotency key "${key}" was used for a different operation`);
      return false;
    }
  }
  async function grantIn(session: ClientSession, playerId: string, items: Items, key: string): Promise<InventoryChange> {
    const entries = checkItems(items);
    if (!(await claimKey(session, playerId, key, operationDigest("grant", items)))) {
      return { applied: false, items: itemsOf(await m.inventory.findById(playerId).session(session).lean()) };
    }
    const inc = Object.fromEntries(entries.map(([k, n]) => [`items.${k}`, n]));
    const doc = await m.inventory.findOneAndUpdate({ _id: playerId }, { $inc: inc }, { upsert: true, new: true, session }).lean();
    return { applied: true, items: itemsOf(doc) };
  }
  async function boardWrite(w: LeaderboardWrite, session?: ClientSession): Promise<void> {
    const _id = `${w.board}\u0000${w.playerId}`;
    const now = Date.now();
    if (w.keep === "latest") {
      await m.boards.updateOne({ _id }, { $set: { board: w.board, playerId: w.playerId, score: w.score, updatedAt: now } }, { upsert: true, session });
      return;
    }
    try {
      // Matches an existing lower score or creates the row; an existing higher score makes the upsert
      // collide on _id, which means there is nothing to do.
      await m.boards.updateOne({ _id, score: { $lt: w.score } }, { $set: { board: w.board, playerId: w.playerId, score: w.score, updatedAt: now } }, { upsert: true, session });
    } catch (e) {
      if (!isDuplicate(e)) throw e;
    }
  }
  const ratingWrite = (r: RatingRecord, session?: ClientSession) =>
    m.ratings.updateOne({ _id: `${r.playerId}\u0000${r.mode}` }, { $set: { ...r } }, { upsert: true, session });

  type LinkKind = FriendLinkDoc["kind"];
  const linkId = (owner: string, other: string, kind: LinkKind) => `${owner}\u0000${other}\u0000${kind}`;
  const hasLink = async (owner: string, other: string, kind: LinkKind, session?: ClientSession) =>
    (await m.friendLinks.exists({ _id: linkId(owner, other, kind) }).session(session ?? null)) !== null;
  const pairFilter = (a: string, b: string, kind: LinkKind | { $ne: LinkKind }) =>
    ({ $or: [{ owner: a, other: b, kind }, { owner: b, other: a, kind }] });
  const putLink = (owner: string, other: string, kind: LinkKind, session: ClientSession) =>
    m.friendLinks.updateOne({ _id: linkId(owner, other, kind) }, { $setOnInsert: { owner, other, kind, since: Date.now() } }, { upsert: true, session });
  const befriend = async (a: string, b: string, session: ClientSession) => {
    await m.friendLinks.deleteMany(pairFilter(a, b, "request"), { session });
    await putLink(a, b, "friend", session);
    await putLink(b, a, "friend", session);
  };

  const store: Store = {
    players: {
      async guest(deviceId) {
        const doc = { _id: randomUUID(), name: guestName(), createdAt: Date.now(), deviceId: deviceId ?? null };
        if (!deviceId) return toPlayer((await m.players.create(doc)).toObject());
        // One atomic upsert per device: concurrent first logins resolve to one player.
        for (let attempt = 0; ; attempt++) {
          try {
            const found = await m.players.findOneAndUpdate({ deviceId }, { $setOnInsert: doc }, { upsert: true, new: true }).lean();
            return toPlayer(found!);
          } catch (e) {
            if (!isDuplicate(e) || attempt > 2) throw e;
          }
        }
      },
      async get(playerId) {
        const d = await m.players.findById(playerId).lean();
        return d ? toPlayer(d) : null;
      },
      async getMany(ids) {
        const docs = await m.players.find({ _id: { $in: [...ids] } }).lean();
        const byId = new Map(docs.map((d) => [d._id, toPlayer(d)]));
        return ids.map((id) => byId.get(id)).filter((p): p is PlayerRecord => p !== undefined);
      },
      async rename(playerId, name) {
        const d = await m.players.findByIdAndUpdate(playerId, { $set: { name } }, { new: true }).lean();
        return d ? toPlayer(d) : null;
      },
      async setBan(playerId, ban) {
        const d = await m.players.findByIdAndUpdate(playerId, { $set: { ban: ban ? { reason: ban.reason, at: ban.at } : null } }, { new: true }).lean();
        return d ? toPlayer(d) : null;
      },
    },
    accounts: {
      async register(playerId, username, passwordHash) {
        const player = await m.players.findById(playerId).lean();
        if (!player) throw new RallyError("NOT_FOUND", "no such player");
        if (player.username) throw new RallyError("ALREADY_REGISTERED");
        try {
          const d = await m.players.findOneAndUpdate({ _id: playerId, username: null },
            { $set: { username, usernameLower: username.toLowerCase(), passwordHash } }, { new: true }).lean();
          if (!d) throw new RallyError("ALREADY_REGISTERED");
          return toPlayer(d);
        } catch (e) {
          if (isDuplicate(e)) throw new RallyError("USERNAME_TAKEN");
          throw e;
        }
      },
      async byUsername(username) {
        const d = await m.players.findOne({ usernameLower: username.toLowerCase() }).lean();
        return d && d.passwordHash ? { player: toPlayer(d), passwordHash: d.passwordHash } : null;
      },
    },
    identities: {
      async signIn(provider, subject) {
        const known = async () => {
          const found = await m.identities.findById(identityId(provider, subject)).lean();
          if (!found) return null;
          const player = await m.players.findById(found.playerId).lean();
          if (!player) throw new Error(`identity ${provider} is bound to a player that does not exist`);
          return { player: toPlayer(player), created: false };
        };
        const existing = await known();
        if (existing) return existing;
        try {
          return await tx(async (session) => {
            const now = Date.now();
            const doc: PlayerDoc = { _id: randomUUID(), name: guestName(), createdAt: now, deviceId: null };
            await m.players.create([doc], { session });
            await m.identities.create([{ _id: identityId(provider, subject), provider, subject, playerId: doc._id, linkedAt: now }], { session });
            return { player: toPlayer(doc), created: true };
          });
        } catch (e) {
          // A concurrent first sign-in won: use its player.
          if (!isDuplicate(e)) throw e;
          const winner = await known();
          if (!winner) throw e;
          return winner;
        }
      },
      async find(provider, subject) {
        const d = await m.identities.findById(identityId(provider, subject)).lean();
        return d ? toIdentity(d) : null;
      },
      async link(playerId, provider, subject) {
        try {
          return await tx(async (session) => {
            const player = await m.players.findOneAndUpdate({ _id: playerId }, { $inc: { credentialsRev: 1 } }, { new: true, session }).lean();
            if (!player) throw new RallyError("NOT_FOUND", "no such player");
            const bound = await m.identities.findById(identityId(provider, subject)).session(session).lean();
            if (bound && bound.playerId !== playerId) throw new RallyError("IDENTITY_TAKEN");
            if (bound) return toIdentity(bound);
            if (await m.identities.exists({ playerId, provider }).session(session)) throw new RallyError("PROVIDER_ALREADY_LINKED");
            const doc: IdentityDoc = { _id: identityId(provider, subject), provider, subject, playerId, linkedAt: Date.now() };
            await m.identities.create([doc], { session });
            return toIdentity(doc);
          });
        } catch (e) {
          if (isDuplicate(e)) throw new RallyError("IDENTITY_TAKEN");
          throw e;
        }
      },
      async list(playerId) {
        return (await m.identities.find({ playerId }).sort({ provider: 1 }).lean()).map(toIdentity);
      },
      async unlink(playerId, provider) {
        return tx(async (session) => {
          const player = await m.players.findOneAndUpdate({ _id: playerId }, { $inc: { credentialsRev: 1 } }, { new: true, session }).lean();
          const mine = (await m.identities.find({ playerId }).session(session).lean()).map(toIdentity);
          const gone = mine.find((i) => i.provider === provider);
          if (!gone) throw new RallyError("IDENTITY_NOT_LINKED");
          if (mine.length === 1 && !player?.username) throw new RallyError("LAST_SIGN_IN_METHOD");
          await m.identities.deleteOne({ _id: identityId(provider, gone.subject), playerId }, { session });
          return gone;
        });
      },
    },
    sessions: {
      async create(s) {
        await m.sessions.create({ _id: s.familyId, playerId: s.playerId, jti: s.jti, expiresAt: s.expiresAt, revokedAt: null });
      },
      async rotate(familyId, jti, nextJti, expiresAt) {
        const swapped = await m.sessions.updateOne({ _id: familyId, jti, revokedAt: null }, { $set: { jti: nextJti, expiresAt } });
        if (swapped.modifiedCount === 1) return "rotated";
        const row = await m.sessions.findById(familyId).lean();
        if (!row) return "unknown";
        if (row.revokedAt != null) return "revoked";
        await m.sessions.updateOne({ _id: familyId }, { $set: { revokedAt: Date.now() } });
        return "reused";
      },
      async revoke(familyId) {
        await m.sessions.updateOne({ _id: familyId, revokedAt: null }, { $set: { revokedAt: Date.now() } });
      },
      async revokeAll(playerId) {
        await m.sessions.updateMany({ playerId, revokedAt: null }, { $set: { revokedAt: Date.now() } });
      },
    },
    ratings: {
      async get(playerId, mode) {
        const d = await m.ratings.findById(`${playerId}\u0000${mode}`).lean();
        return d ? toRating(d) : null;
      },
      async list(playerId) {
        return (await m.ratings.find({ playerId }).sort({ mode: 1 }).lean()).map(toRating);
      },
      async set(rating, board) {
        await tx(async (session) => {
          await ratingWrite(rating, session);
          if (board) await boardWrite(board, session);
        });
      },
    },
    matches: {
      async record(result) {
        return store.matches.apply(result, () => ({ ratings: [], history: [], leaderboards: [], rewards: [] }));
      },
      async apply(result, plan) {
        return tx(async (session) => {
          try {
            await m.matches.create([{ _id: result.matchId, endedAt: result.endedAt, body: JSON.stringify(result) }], { session });
          } catch (e) {
            if (isDuplicate(e)) return false;
            throw e;
          }
          const mode = result.mode ?? result.roomName;
          const docs = await m.ratings.find({ _id: { $in: result.players.map((p) => `${p.playerId}\u0000${mode}`) } }).session(session).lean();
          const writes = plan(new Map(docs.map((d) => [d.playerId, toRating(d)])));
          for (const r of writes.ratings) await ratingWrite(r, session);
          hooks.midResult?.(result.matchId);
          if (writes.history.length) {
            await m.history.insertMany(writes.history.map((h) => ({ ...h, _id: `${h.playerId}\u0000${h.matchId}` })), { session });
          }
          for (const w of writes.leaderboards) await boardWrite(w, session);
          for (const reward of writes.rewards) await grantIn(session, reward.playerId, reward.items, `match:${result.matchId}`);
          return true;
        });
      },
      async get(matchId) {
        const d = await m.matches.findById(matchId).lean();
        return d ? (JSON.parse(d.body) as MatchResult) : null;
      },
      async history(playerId, { limit, before }) {
        const filter = before
          ? { playerId, $or: [{ endedAt: { $lt: before.endedAt } }, { endedAt: before.endedAt, matchId: { $lt: before.matchId } }] }
          : { playerId };
        return (await m.history.find(filter).sort({ endedAt: -1, matchId: -1 }).limit(limit).lean()).map(toHistory);
      },
    },
    leaderboards: {
      async submit(w) {
        await boardWrite(w);
      },
      async top(board, limit, offset = 0) {
        const docs = await m.boards.find({ board }).sort({ score: -1, playerId: -1 }).skip(offset).limit(limit).lean();
        return docs.map((d, i): LeaderboardEntry => ({ playerId: d.playerId, score: d.score, rank: offset + i + 1 }));
      },
      async entry(board, playerId) {
        const me = await m.boards.findById(`${board}\u0000${playerId}`).lean();
        if (!me) return null;
        const ahead = await m.boards.countDocuments({ board, $or: [{ score: { $gt: me.score } }, { score: me.score, playerId: { $gt: playerId } }] });
        return { playerId, score: me.score, rank: ahead + 1 };
      },
      async count(board) {
        return m.boards.countDocuments({ board });
      },
    },
    inventory: {
      async get(playerId) {
        return itemsOf(await m.inventory.findById(playerId).lean());
      },
      async grant(playerId, items, key) {
        checkItems(items);
        return tx((session) => grantIn(session, playerId, items, key));
      },
      async consume(playerId, items, key) {
        const entries = checkItems(items);
        return tx(async (session) => {
          if (!(await claimKey(session, playerId, key, operationDigest("consume", items)))) {
            return { applied: false, items: itemsOf(await m.inventory.findById(playerId).session(session).lean()) };
          }
          const guard = Object.fromEntries(entries.map(([k, n]) => [`items.${k}`, { $gte: n }]));
          const dec = Object.fromEntries(entries.map(([k, n]) => [`items.${k}`, -n]));
          // One conditional update: every count checked and decremented together, or none.
          const doc = await m.inventory.findOneAndUpdate({ _id: playerId, ...guard }, { $inc: dec }, { new: true, session }).lean();
          if (!doc) throw new RallyError("INSUFFICIENT_ITEMS", "not enough items");
          return { applied: true, items: itemsOf(doc) };
        });
      },
    },
    friends: {
      async request(from, to) {
        return tx(async (session) => {
          if (await hasLink(from, to, "block", session) || await hasLink(to, from, "block", session)) throw new RallyError("FRIEND_BLOCKED");
          if (await hasLink(from, to, "friend", session)) return "already-friends" as const;
          if (await hasLink(to, from, "request", session)) {
            await befriend(from, to, session);
            return "accepted" as const;
          }
          await putLink(from, to, "request", session);
          return "requested" as const;
        });
      },
      async accept(playerId, fromId) {
        await tx(async (session) => {
          if (!(await hasLink(fromId, playerId, "request", session))) throw new RallyError("FRIEND_REQUEST_NOT_FOUND");
          await befriend(playerId, fromId, session);
        });
      },
      async decline(playerId, otherId) {
        return (await m.friendLinks.deleteMany(pairFilter(playerId, otherId, "request"))).deletedCount > 0;
      },
      async remove(playerId, otherId) {
        return (await m.friendLinks.deleteMany(pairFilter(playerId, otherId, "friend"))).deletedCount > 0;
      },
      async block(playerId, otherId) {
        await tx(async (session) => {
          await m.friendLinks.deleteMany(pairFilter(playerId, otherId, { $ne: "block" }), { session });
          await putLink(playerId, otherId, "block", session);
        });
      },
      async unblock(playerId, otherId) {
        return (await m.friendLinks.deleteOne({ _id: linkId(playerId, otherId, "block") })).deletedCount > 0;
      },
      async list(playerId) {
        const [mine, incoming] = await Promise.all([
          m.friendLinks.find({ owner: playerId }).lean(),
          m.friendLinks.find({ other: playerId, kind: "request" }).lean(),
        ]);
        return [
          ...mine.map((d): FriendLink => ({ playerId: d.other, kind: d.kind === "friend" ? "friend" : d.kind === "request" ? "outgoing" : "blocked", since: d.since })),
          ...incoming.map((d): FriendLink => ({ playerId: d.owner, kind: "incoming", since: d.since })),
        ].sort((a, b) => a.since - b.since || (a.playerId < b.playerId ? -1 : 1));
      },
      async friendIds(playerId) {
        return (await m.friendLinks.find({ owner: playerId, kind: "friend" }).lean()).map((d) => d.other).sort();
      },
      async areFriends(a, b) {
        return hasLink(a, b, "friend");
      },
      async blocked(a, b) {
        return (await hasLink(a, b, "block")) || (await hasLink(b, a, "block"));
      },
    },
    events: {
      async append(events) {
        if (events.length) await m.events.insertMany(events.map((e) => ({ ...e })), { ordered: false });
      },
      async count() {
        return m.events.estimatedDocumentCount();
      },
    },
    ...mongoChatRepos(conn),
    async close() {
      await conn.close();
    },
  };
  return store;
}
