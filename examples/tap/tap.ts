/**
 * Your first game in one file: `tap`, a 1v1 race. Both players tap; the first to 20 taps wins, and
 * after 60 s the one ahead wins (a tie is a draw). Rally does the rest: accounts, the `duel` queue,
 * seats, reconnection, the result, ratings and match history.
 *
 *   PORT=2567 node --import tsx tap.ts
 */
import { schema, t, type SchemaType } from "@colyseus/schema";
import { createRally, defineGame, MatchRoom, z, type Client, type MatchPlayer } from "rally/server";

const TARGET = 20;
const TIME_LIMIT_MS = 60_000;

// The synced state: every client sees both players' taps as they change.
const Tapper = schema({
  name: t.string(),
  team: t.uint8(),
  taps: t.uint16().default(0),
}, "Tapper");

const TapState = schema({
  phase: t.string().default("waiting"),
  target: t.uint16().default(TARGET),
  players: t.map(Tapper),
}, "TapState");
type TapState = SchemaType<typeof TapState>;

// The one message a client sends: taps since its last message (a client may batch up to 5).
// Anything else (a missing count, 100 taps, an extra key) is refused with INVALID_MESSAGE.
const tapMessage = z.object({ count: z.number().int().min(1).max(5) }).strict();

class TapRoom extends MatchRoom<TapState> {
  protected override teamCount = 2;
  protected override minPlayers = 2;
  protected override maxPlayers = 2;

  protected createState(): TapState {
    return new TapState();
  }

  protected registerInputs(): void {
    this.input("tap", tapMessage, (_client, player, message) => {
      const tapper = this.state.players.get(player.sessionId)!;
      tapper.taps = Math.min(TARGET, tapper.taps + message.count);
      if (tapper.taps === TARGET) this.finish("target");
    });
  }

  protected onPlayerJoin(_client: Client, player: MatchPlayer): void {
    this.state.players.set(player.sessionId, new Tapper({ name: player.name, team: player.team }));
  }

  protected override onMatchStart(): void {
    this.state.phase = "playing";
  }

  protected onStep(): void {
    if (this.elapsedMs >= TIME_LIMIT_MS) this.finish("time-limit");
  }

  // The result's scores: taps per team and per player. The team with the most wins (a tie is a draw).
  protected scores(): { teams: number[]; players: Map<string, number> } {
    const teams = [0, 0];
    const players = new Map<string, number>();
    for (const [sessionId, tapper] of this.state.players) {
      teams[tapper.team] += tapper.taps;
      players.set(sessionId, tapper.taps);
    }
    return { teams, players };
  }

  private finish(reason: string): void {
    this.state.phase = "ended";
    this.endMatch(reason);
  }
}

const tapGame = defineGame({
  room: TapRoom,
  modes: { duel: { teams: 2, teamSize: 1 } },
});

const rally = await createRally({ games: { tap: tapGame } });
await rally.listen();
