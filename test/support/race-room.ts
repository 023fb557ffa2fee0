/**
 * A minimal 2v2 match room for matchmaking tests: its state lists each player's id and team, and it
 * ends when a player sends `win` with the winning team, so a test decides when a rated match completes.
 */
import type { Room as SdkRoom } from "@colyseus/sdk";
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
