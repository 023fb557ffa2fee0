/**
 * The baseline: Colyseus's real `QueueRoom` class, driven on the simulator's virtual clock.
 *
 * Configured the way a Colyseus developer would for a team mode: one queue room per region
 * (what `filterBy(['region'])` gives), `maxPlayers` = match size, parties through
 * `teamId` + `maxTeamSize`, rank = player rating, default `compare`, cycles of 1 s.
 * Solos get their own `teamId` (their session id): with `maxTeamSize` set, solos without a
 * teamId share one default team that `redistributeTeams` drains only 5 per cycle.
 * `processGroupsReady` is replaced to record ready groups instead of creating rooms; each
 * group is split into teams as an `onGroupReady` would: snake draft by rating, parties kept
 * together when they fit.
 */
import { QueueRoom, type QueueMatchGroup } from "@colyseus/core";
import { playersOf, type SimArrival, type SimMatch, type SimPlayer } from "../../matchmaker/simulator.ts";
import type { ModeRules } from "../../matchmaker/rules.ts";

export interface QueueRoomSetup {
  rooms: string;
  maxPlayers: number;
  maxTeamSize: number;
  allowIncompleteGroups: boolean;
  maxWaitingCycles: number;
  maxWaitingCyclesForPriority: number;
  cycleTickIntervalMs: number;
  compare: string;
  joinOptions: string;
  onGroupReady: string;
}

/** The subset of a Colyseus client that QueueRoom touches. */
interface StandInClient {
  sessionId: string;
  userData: unknown;
  auth: unknown;
  send(type: string, message?: unknown): void;
  leave(code?: number, reason?: string): void;
}

interface Driven {
  room: QueueRoom;
  ready: QueueMatchGroup[];
}

export function queueRoomSetup(rules: ModeRules): QueueRoomSetup {
  const bots = rules.bots;
  return {
    rooms: "one QueueRoom per region (filterBy(['region']))",
    maxPlayers: rules.matchSize,
    maxTeamSize: rules.teamSize,
    allowIncompleteGroups: bots !== false,
    maxWaitingCycles: bots !== false ? Math.max(1, Math.ceil(bots.afterS)) : 15,
    maxWaitingCyclesForPriority: 10,
    cycleTickIntervalMs: 1000,
    compare: "default (|Δrank| < 10 or |Δrank|/avg <= 2)",
    joinOptions: "{ rank: playerRating, teamId: partyId ?? sessionId, region }",
    onGroupReady: "snake draft by rating over party units (parties together when they fit)",
  };
}

function createRoom(setup: QueueRoomSetup, mode: string): Driven {
  const room = new QueueRoom();
  room.onCreate({
    matchRoomName: mode,
    maxPlayers: setup.maxPlayers,
    maxTeamSize: setup.maxTeamSize,
    allowIncompleteGroups: setup.allowIncompleteGroups,
    maxWaitingCycles: setup.maxWaitingCycles,
  });
  room.maxWaitingCyclesForPriority = setup.maxWaitingCyclesForPriority;
  room.setTimestep(); // onCreate started a real interval; the virtual clock drives cycles
  const driven: Driven = { room, ready: [] };
  room.processGroupsReady = function (this: QueueRoom) {
    for (const g of this.groups) if (g.ready) driven.ready.push(g);
  };
  return driven;
}

function join(d: Driven, player: SimPlayer, rank: number, teamId: string, region: string): StandInClient {
  const client: StandInClient = { sessionId: player.playerId, userData: undefined, auth: undefined, send() {}, leave() {} };
  const c = client as unknown as Parameters<QueueRoom["onJoin"]>[0];
  d.room.clients.push(c);
  d.room.onJoin(c, { rank, teamId, region });
  return client;
}

export function simulateQueueRoom(arrivals: readonly SimArrival[], rules: ModeRules, durationS: number): SimMatch[] {
  const setup = queueRoomSetup(rules);
  const rooms = new Map<string, Driven>();
  const player = new Map<string, SimPlayer>();
  const matches: SimMatch[] = [];
  const cycleS = setup.cycleTickIntervalMs / 1000;
  let next = 0;
  for (let k = 1; k * cycleS <= durationS; k++) {
    const nowS = k * cycleS;
    while (next < arrivals.length && arrivals[next].arrivalS <= nowS) enqueue(arrivals[next++]);
    for (const d of [...rooms.values()]) {
      d.ready.length = 0;
      d.room.reassignMatchGroups();
      for (const g of d.ready) {
        const members = g.clients.map((c) => player.get(c.sessionId)!);
        matches.push({ atS: nowS, teams: snakeDraft(members, rules) });
        // players confirm and leave the queue room
        for (const c of g.clients) d.room.clients.delete(c);
      }
    }
  }
  return matches;

  function enqueue(a: SimArrival): void {
    const region = a.ticket.region;
    let d = rooms.get(region);
    if (!d) { d = createRoom(setup, rules.name); rooms.set(region, d); }
    for (const p of playersOf(a)) {
      player.set(p.playerId, p);
      join(d, p, p.trueRating, a.ticket.partyId ?? p.playerId, region);
    }
  }
}

/** onGroupReady as commonly written: party units by mean rating, snake order, fill by fit. */
export function snakeDraft(members: readonly SimPlayer[], rules: ModeRules): { players: SimPlayer[]; bots: number }[] {
  const units = new Map<string, SimPlayer[]>();
  for (const m of members) {
    const u = units.get(m.ticketId) ?? [];
    u.push(m);
    units.set(m.ticketId, u);
  }
  const mean = (u: SimPlayer[]) => u.reduce((s, p) => s + p.trueRating, 0) / u.length;
  const ordered = [...units.values()].sort((a, b) => mean(b) - mean(a));
  const teams = Array.from({ length: rules.teams }, () => [] as SimPlayer[]);
  let turn = 0;
  for (const u of ordered) {
    const round = Math.floor(turn / rules.teams), pos = turn % rules.teams;
    const preferred = round % 2 === 0 ? pos : rules.teams - 1 - pos;
    turn++;
    const fits = (t: number) => teams[t].length + u.length <= rules.teamSize;
    let t = fits(preferred) ? preferred : -1;
    if (t < 0) for (let c = 0; c < rules.teams; c++) if (fits(c) && (t < 0 || teams[c].length < teams[t].length)) t = c;
    if (t >= 0) { teams[t].push(...u); continue; }
    // no team has room for the whole party: it gets split across teams
    for (const p of u) {
      let c = 0;
      for (let k = 1; k < rules.teams; k++) if (teams[k].length < teams[c].length) c = k;
      teams[c].push(p);
    }
  }
  return teams.map((players) => ({ players, bots: Math.max(0, rules.teamSize - players.length) }));
}

/**
 * Wall-clock ms of one QueueRoom cycle over the players of `pool` (rooms per region):
 * median of 5 runs on fresh rooms after 2 warm-up runs, like the Rally figure.
 */
export function timeQueueRoomCycle(pool: readonly SimArrival[], rules: ModeRules): number {
  const setup = queueRoomSetup(rules);
  const times: number[] = [];
  for (let run = 0; run < 7; run++) {
    const rooms = new Map<string, Driven>();
    for (const a of pool) {
      let d = rooms.get(a.ticket.region);
      if (!d) { d = createRoom(setup, rules.name); rooms.set(a.ticket.region, d); }
      for (const p of playersOf(a)) join(d, p, p.trueRating, a.ticket.partyId ?? p.playerId, a.ticket.region);
    }
    const t0 = performance.now();
    for (const d of rooms.values()) d.room.reassignMatchGroups();
    if (run >= 2) times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[2];
}
