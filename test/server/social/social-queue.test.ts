/**
 * Issue 6: "a party of three queueing together and landing on one team in one match (with the
 * matchmaker)". One in-process node with the real wiring (social service as the queue's
 * PartyDirectory, the real `queue` room and matcher, arena rooms), driven only through the client
 * SDK over the official @colyseus/sdk: three friends form a party over HTTP (request, accept, create,
 * invite, accept), the leader starts queueing, every member reacts to its own `party.queue` push by
 * joining `queue` with `{ mode, partyId }` (the SDK's `queue()` helper), three solos queue too, and
 * the six land in one 3v3 arena, the party on one team, each with its own seat. Waits are on
 * conditions only.
 */
import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { ArenaRoom, arenaModes } from "../../../examples/arena/index.ts";
import { defineGame } from "../../../server/index.ts";
import { RallyClient, SocialClient, queue, type Presence, type QueueStatus } from "../../../client-sdk/index.ts";
import { startMmNode, until, within, type MmNode } from "../../support/matchmaker-e2e.ts";

interface ArenaView { phase: string; players: Map<string, { playerId: string; team: number; name: string }> }
const stateOf = (r: Room) => r.state as unknown as ArenaView;

const MODE = "3v3";

describe("social + matchmaker: a party of three queues together", function () {
  this.timeout(60_000);
  let t: MmNode;
  const socials: SocialClient[] = [];
  const rooms: Room[] = [];

  before(async () => {
    // The node's own social service is the PartyDirectory (no `parties` override).
    t = await startMmNode({}, {
      games: {
        arena: defineGame({
          room: ArenaRoom,
          modes: {
            ...arenaModes,
            // Premade parity off: a party of three may face three solos right away (the default makes
            // it wait up to relaxAfterS for a similar premade), so the test waits on nothing but the matcher.
            [MODE]: { teams: 2, teamSize: 3, party: { premadeParity: false } },
          },
        }),
      },
    });
  });
  after(async () => {
    await Promise.allSettled(rooms.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
    await Promise.allSettled(socials.map((s) => s.disconnect()));
    await t?.close();
  });

  let n = 0;
  async function player(): Promise<RallyClient> {
    const rally = new RallyClient(t.url);
    await rally.auth.guest({ deviceId: `party3-${process.pid}-${++n}-${Math.random().toString(36).slice(2)}` });
    return rally;
  }

  it("friends form a party, the leader queues it, all three land on one team of one 3v3 match with their own seats", async () => {
    const [leader, b, c] = [await player(), await player(), await player()];
    const members = [leader, b, c];
    const social = members.map((r) => new SocialClient(r));
    socials.push(...social);
    for (const s of social) await s.connect();
    const [sl, sb, sc] = social;
    const id = (r: RallyClient) => r.auth.playerId!;

    // Friends first: invites go to friends only.
    for (const [s, other, os] of [[sl, b, sb], [sl, c, sc]] as const) {
      assert.equal(await s.friends.request(id(other)), "requested");
      await os.friends.accept(id(leader));
    }
    const presence: Presence[] = [];
    sl.on("presence", (p) => presence.push(p));

    // The party: create, invite, each member accepts its own invite (pushed over `social`).
    const party = await sl.party.create(MODE);
    for (const [r, s] of [[b, sb], [c, sc]] as const) {
      const invite = new Promise<string>((resolve) => s.on("partyInvite", (i) => resolve(i.partyId)));
      await sl.party.invite(id(r));
      assert.equal(await within(invite, 10_000, "the invite push"), party.partyId);
      await s.party.accept(party.partyId);
    }
    const view = await until("the party to have three members", async () => {
      const p = await sl.party.current();
      return p && p.members.length === 3 ? p : null;
    });
    assert.equal(view.leaderId, id(leader));

    // Every member (leader included) queues when told, with the partyId, through the SDK helper.
    const statuses: QueueStatus[][] = members.map(() => []);
    const matches = members.map((r, i) => new Promise<Room>((resolve, reject) => {
      social[i]!.on("partyQueue", (e) => {
        assert.deepEqual(e, { partyId: party.partyId, mode: MODE });
        queue(r, { mode: e.mode, partyId: e.partyId, onStatus: (s) => statuses[i]!.push(s) }).then(resolve, reject);
      });
    }));
    await sl.party.queue(MODE);
    // All three gathered in one ticket: friends see them in the queue, with the mode.
    for (const r of [b, c]) {
      await until(`the leader to see ${id(r)} in_queue`, () => presence.some((p) => p.playerId === id(r) && p.status === "in_queue" && p.mode === MODE));
    }
    const ticketId = await until("one ticket for the party", async () => (await t.node.matchmaker.players.get(id(leader)))?.ticketId);
    for (const r of [b, c]) assert.equal((await t.node.matchmaker.players.get(id(r)))?.ticketId, ticketId, "the party is one ticket");
    assert.deepEqual([...(await t.node.matchmaker.store.get(ticketId))!.ticket.playerIds].sort(), members.map(id).sort());

    // Three solos fill the other team.
    const solos = [await player(), await player(), await player()];
    const soloMatches = solos.map((r) => queue(r, { mode: MODE }));

    const partyRooms = await within(Promise.all(matches), 30_000, "the party's seats");
    const soloRooms = await within(Promise.all(soloMatches), 30_000, "the solos' seats");
    rooms.push(...partyRooms, ...soloRooms);
    const all = [...partyRooms, ...soloRooms];

    assert.equal(new Set(all.map((r) => r.roomId)).size, 1, "all six in one match room");
    assert.equal(new Set(all.map((r) => r.sessionId)).size, 6, "every player has its own seat");
    const state = await until("all six seated in the match state", () => {
      const s = stateOf(partyRooms[0]!);
      return s?.players?.size === 6 ? s : null;
    });
    // Each member's own seat belongs to that member.
    partyRooms.forEach((room, i) => assert.equal(state.players.get(room.sessionId)?.playerId, id(members[i]!), "the seat is the member's"));
    const teamOf = (r: RallyClient) => [...state.players.values()].find((p) => p.playerId === id(r))?.team;
    const partyTeam = teamOf(leader);
    assert.ok(partyTeam === 0 || partyTeam === 1);
    for (const r of members) assert.equal(teamOf(r), partyTeam, "the party plays on one team");
    for (const r of solos) assert.notEqual(teamOf(r), partyTeam, "the solos are the other team");
    // Statuses were streamed while gathering / searching, with the party count.
    assert.ok(statuses.every((list) => list.some((s) => s.party?.size === 3)), "each member saw the party's gathering status");

    // The party's queueing is over once the match began; friends see them in the match.
    await until("the party's queue state cleared", async () => (await sl.party.current())?.queue === null);
    for (const r of [b, c]) {
      await until(`the leader to see ${id(r)} in_match`, () => presence.some((p) => p.playerId === id(r) && p.status === "in_match"));
    }
  });
});
