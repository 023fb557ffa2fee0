/**
 * A minimal 2v2 match room for matchmaking tests: its state lists each player's id and team, and it
 * ends when a player sends `win` with the winning team, so a test decides when a rated match completes.
 */
import assert from "node:assert/strict";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { acceptSeat, joinQueue, until, type MmNode, type Queued } from "./matchmaker-e2e.ts";
import { schema, t as field, type SchemaType } from "@colyseus/schema";
import { MatchRoom, z, type Client, type MatchPlayer } from "../../server/index.ts";

const Runner = schema({ playerId: field.string(), team: field.uint8() }, "RaceRunner");
export const RaceState = schema({ phase: field.string().default("waiting"), players: field.map(Runner) }, "RaceState");
export type RaceState = SchemaType<typeof RaceState>;

export class RaceRoom extends MatchRoom<RaceState> {
  protected override teamCount = 2;
  protected override minPlayers = 2;
  protected override maxPlayers = 4;
  private winner = 0;
  protected createState(): RaceState { return new RaceState(); }
  protected registerInputs(): void {
    this.input("win", z.object({ team: z.number().int().min(0).max(1) }).strict(), (_c, _p, m) => {
      this.winner = m.team;
      this.state.phase = "ended";
      this.endMatch("declared");
    });
  }
  protected onPlayerJoin(_client: Client, player: MatchPlayer): void {
    this.state.players.set(player.sessionId, new Runner({ playerId: player.playerId, team: player.team }));
  }
  protected override onMatchStart(): void { this.state.phase = "playing"; }
  protected onStep(): void {}
  protected scores() {
    const teams = [0, 0];
    teams[this.winner] = 1;
    return { teams, players: new Map<string, number>() };
  }
}

/** The team a client's synced state shows `playerId` on (undefined: not in the match). */
export const teamOf = (room: SdkRoom<unknown, RaceState>, playerId: string): number | undefined =>
  [...(room.state?.players?.values() ?? [])].find((r) => r.playerId === playerId)?.team;

/** Four players of `node` in a running 2v2 of `mode` (queue and match rooms pushed to `open` for teardown), in queue order. */
export async function raceMatch(node: MmNode, mode: string, open: SdkRoom[]): Promise<Array<{ readonly player: { playerId: string; token: string }; readonly room: SdkRoom<unknown, RaceState> }>> {
  const players = await Promise.all([0, 1, 2, 3].map(() => node.player()));
  const queued: Queued[] = [];
  for (const p of players) queued.push(await joinQueue(node.client(p.token), { mode }));
  open.push(...queued.map((q) => q.queue));
  const rooms = await Promise.all(queued.map((q, i) => acceptSeat(node.client(players[i]!.token), q))) as SdkRoom<unknown, RaceState>[];
  open.push(...rooms);
  assert.equal(new Set(rooms.map((r) => r.roomId)).size, 1, "one match");
  await until("the match to start", () => rooms.every((r) => r.state?.phase === "playing" && r.state.players.size === 4));
  return players.map((player, i) => ({ player, room: rooms[i]! }));
}
