/**
 * `arena`: 2 to 16 players on two teams shoot it out in a 2D arena. The server owns the simulation
 * (fixed 30 Hz step); clients only send `input` messages. Each client gets its own StateView so its
 * ammo and last applied input are invisible to everyone else.
 */
import { MatchRoom, MatchPhase, StateView, type Client, type MatchPlayer, type StepContext } from "rally/server";
import { ARENA } from "./constants.ts";
import { arenaInputSchema, arenaJoinOptionsSchema } from "./protocol.ts";
import { ArenaSimulation } from "./simulation.ts";
import { ArenaState } from "./state.ts";

export class ArenaRoom extends MatchRoom<ArenaState> {
  static override joinOptions = arenaJoinOptionsSchema;

  protected override minPlayers = 2;
  protected override maxPlayers = 16;
  protected override teamCount = 2;
  protected override tickRate = ARENA.tickRate;
  override maxMessagesPerSecond = ARENA.maxMessagesPerSecond;

  private sim!: ArenaSimulation;

  protected createState(): ArenaState {
    const state = new ArenaState();
    this.sim = new ArenaSimulation(state, this.teamCount);
    return state;
  }

  protected registerInputs(): void {
    this.input("input", arenaInputSchema, (client, _player, input) => this.sim.setInput(client.sessionId, input));
  }

  /** Bots are simulated server-side; they have no client and never appear in the result's players. */
  protected override addBots(team: number, count: number): boolean {
    for (let i = 0; i < count; i++) this.sim.addBot(`bot-${team}-${this.botSeq++}`, team);
    return true;
  }

  private botSeq = 0;

  protected onPlayerJoin(client: Client, player: MatchPlayer): void {
    const schemaPlayer = this.sim.addPlayer(client.sessionId, player);
    client.view = new StateView();
    client.view.add(schemaPlayer);
  }

  protected override onPlayerReconnect(client: Client): void {
    const schemaPlayer = this.state.players.get(client.sessionId);
    if (!schemaPlayer) return;
    client.view = new StateView();
    client.view.add(schemaPlayer);
  }

  protected override onPlayerConnectionChange(player: MatchPlayer): void {
    const schemaPlayer = this.state.players.get(player.sessionId);
    if (!player.present && this.phase === MatchPhase.WAITING) {
      this.sim.removePlayer(player.sessionId);
      return;
    }
    if (!schemaPlayer) return;
    schemaPlayer.connected = player.connected;
    if (!player.connected) this.sim.idle(player.sessionId);
  }

  protected override onMatchStart(): void {
    this.state.phase = MatchPhase.PLAYING;
  }

  protected onStep(step: StepContext): void {
    const ended = this.sim.step(step.dtMs);
    if (ended) {
      const scores = [...this.state.teamScores];
      const best = Math.max(...scores);
      this.state.winnerTeam = scores.filter((s) => s === best).length === 1 ? scores.indexOf(best) : -1;
      this.state.phase = MatchPhase.ENDED;
      this.endMatch(ended);
    }
  }

  protected scores(): { teams: number[]; players: Map<string, number> } {
    const players = new Map<string, number>();
    for (const [sessionId, p] of this.state.players) players.set(sessionId, p.score);
    return { teams: [...this.state.teamScores], players };
  }
}
