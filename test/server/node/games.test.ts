/**
 * Games and modes are checked at start (server/node/games.ts): each refusal below used to start fine
 * and leave players searching forever. One line, naming the mode (or game), with a typed code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Client, StepContext } from "@colyseus/core";
import { MatchRoom } from "../../../rooms/index.ts";
import { ArenaRoom } from "../../../examples/arena/index.ts";
import { parseModeRules } from "../../../matchmaker/index.ts";
import { BUILT_IN_ROOMS, GameConfigError, GameConfigErrorCode, createRally, defineGame, loadConfig, z, type Games } from "../../../server/index.ts";
import { checkModes, gameModes } from "../../../server/node/games.ts";
import { repoRoot, tempDir } from "../../support/processes.ts";

/** Three teams of at most two: a room whose capacity differs from the arena's. */
class TrioRoom extends MatchRoom {
  protected override teamCount = 3;
  protected override maxPlayers = 6;
  protected createState() { return {}; }
  protected onPlayerJoin(_client: Client): void {}
  protected onStep(_step: StepContext): void {}
  protected scores() { return { teams: [0, 0, 0], players: new Map<string, number>() }; }
  protected registerInputs(): void {}
}

function refusal(games: Games): GameConfigError {
  try {
    gameModes(games);
  } catch (e) {
    assert.ok(e instanceof GameConfigError, `a GameConfigError, got ${String(e)}`);
    assert.ok(!e.message.includes("\n"), "one line");
    return e;
  }
  assert.fail("expected a refusal");
}

describe("games and modes at start", () => {
  const shared = { teams: 2, teamSize: 1 };
  const cases: Array<{ what: string; games: Games; code: GameConfigErrorCode; names: RegExp }> = [
    { what: "more teams than the room plays with", games: { arena: defineGame({ room: ArenaRoom, modes: { trio: { teams: 3, teamSize: 1 } } }) }, code: GameConfigErrorCode.MODE_UNSEATABLE, names: /^mode "trio": 3 teams, but room "arena" plays with 2$/ },
    { what: "fewer teams than the room plays with", games: { trio: defineGame({ room: TrioRoom, modes: { duel: { teams: 2, teamSize: 1 } } }) }, code: GameConfigErrorCode.MODE_UNSEATABLE, names: /^mode "duel": 2 teams, but room "trio" plays with 3$/ },
    { what: "more players than the room seats", games: { arena: defineGame({ room: ArenaRoom, modes: { "9v9": { teams: 2, teamSize: 9 } } }) }, code: GameConfigErrorCode.MODE_UNSEATABLE, names: /^mode "9v9": 2x9 = 18 players, but room "arena" seats at most 16$/ },
    { what: "one rules object under two names", games: { arena: defineGame({ room: ArenaRoom, modes: { a: shared, b: shared } }) }, code: GameConfigErrorCode.MODE_SHARED_RULES, names: /^mode "b": reuses the rules object of mode "a"/ },
    { what: "one rules object in two games", games: { arena: defineGame({ room: ArenaRoom, modes: { a: shared } }), trio: defineGame({ room: TrioRoom, modes: { b: shared } }) }, code: GameConfigErrorCode.MODE_SHARED_RULES, names: /^mode "b": reuses the rules object of mode "a"/ },
    { what: "a mode name two games define", games: { arena: defineGame({ room: ArenaRoom, modes: { duel: { teams: 2, teamSize: 1 } } }), trio: defineGame({ room: TrioRoom, modes: { duel: { teams: 3, teamSize: 1 } } }) }, code: GameConfigErrorCode.MODE_DUPLICATE, names: /^mode "duel": defined by games "arena" and "trio"/ },
    { what: "rules that do not parse", games: { arena: defineGame({ room: ArenaRoom, modes: { solo: { teams: 2, teamSize: 0 } } }) }, code: GameConfigErrorCode.MODE_INVALID_RULES, names: /^mode "solo": teamSize/ },
    { what: "an attribute rule naming an attribute the schema lacks", games: { arena: defineGame({ room: ArenaRoom, modes: { maps: { teams: 2, teamSize: 1, attributes: z.object({ map: z.array(z.string()) }), attributeRules: { map: "overlap", device: "equal" } } } }) }, code: GameConfigErrorCode.MODE_INVALID_RULES, names: /^mode "maps": attributeRules\.device: rule names attribute "device", which the attributes schema lacks$/ },
    { what: "attribute rules without an attributes schema", games: { arena: defineGame({ room: ArenaRoom, modes: { maps: { teams: 2, teamSize: 1, attributeRules: { map: "overlap" } } } }) }, code: GameConfigErrorCode.MODE_INVALID_RULES, names: /^mode "maps": attributeRules\.map: rule names attribute "map"/ },
    { what: "attributes that are not a zod object schema", games: { arena: defineGame({ room: ArenaRoom, modes: { maps: { teams: 2, teamSize: 1, attributes: z.string() as never } } }) }, code: GameConfigErrorCode.MODE_INVALID_RULES, names: /^mode "maps": attributes: attributes must be a zod object schema/ },
    { what: "a hook that is not a function", games: { arena: defineGame({ room: ArenaRoom, modes: { maps: { teams: 2, teamSize: 1, hook: { score: 3 as never } } } }) }, code: GameConfigErrorCode.MODE_INVALID_RULES, names: /^mode "maps": hook\.score: hook\.score must be a function$/ },
    { what: "a room that is not a MatchRoom", games: { plain: defineGame({ room: class {} as never, modes: {} }) }, code: GameConfigErrorCode.GAME_BAD_ROOM, names: /^game "plain"/ },
    { what: "a game key that is no room name", games: { "two words": defineGame({ room: ArenaRoom }) }, code: GameConfigErrorCode.GAME_BAD_NAME, names: /^game "two words"/ },
    ...BUILT_IN_ROOMS.map((name) => ({ what: `a game named like the built-in room ${name}`, games: { [name]: defineGame({ room: ArenaRoom }) }, code: GameConfigErrorCode.GAME_BAD_NAME, names: new RegExp(`^game "${name}": the name is a built-in room`) })),
  ];
  for (const c of cases) {
    it(`refuses ${c.what}`, () => {
      const e = refusal(c.games);
      assert.equal(e.code, c.code);
      assert.match(e.message, c.names);
    });
  }

  it("refuses a mode table naming a room no game defines", () => {
    const rooms = new Map([["arena", { teams: 2, maxPlayers: 16 }]]);
    assert.throws(() => checkModes({ duel: { rules: parseModeRules({ name: "duel", teams: 2, teamSize: 1 }), room: "tap" } }, rooms),
      (e: unknown) => e instanceof GameConfigError && e.code === GameConfigErrorCode.MODE_UNKNOWN_ROOM && /^mode "duel": room "tap" is not defined by any game/.test(e.message));
    const rules = parseModeRules({ name: "a", teams: 2, teamSize: 1 });
    assert.throws(() => checkModes({ a: { rules, room: "arena" }, b: { rules, room: "arena" } }, rooms),
      (e: unknown) => e instanceof GameConfigError && e.code === GameConfigErrorCode.MODE_SHARED_RULES);
  });

  it("takes the short form and fills every default; the queue offers exactly the games' modes", () => {
    const modes = gameModes({ tap: defineGame({ room: ArenaRoom, modes: { duel: { teams: 2, teamSize: 1 } } }), trio: defineGame({ room: TrioRoom }) });
    assert.deepEqual(Object.keys(modes), ["duel"], "no built-in modes are added");
    assert.equal(modes.duel!.room, "tap");
    assert.deepEqual(modes.duel!.rules, parseModeRules({ name: "duel", teams: 2, teamSize: 1 }));
    assert.equal(modes.duel!.rules.matchSize, 2);
    assert.equal(modes.duel!.rules.party.maxSize, 1);
  });

  it("createRally refuses before anything is opened", async () => {
    const config = loadConfig({ DATA_DIR: tempDir(), PORT: "1", LOG_LEVEL: "silent" });
    await assert.rejects(createRally({ config, games: { queue: defineGame({ room: ArenaRoom }) } }), (e: unknown) => e instanceof GameConfigError && e.code === GameConfigErrorCode.GAME_BAD_NAME);
  });

  it("an npm-start-style entry with a bad mode exits 1 with one line naming the mode", function () {
    this.timeout(60_000);
    const env: Record<string, string | undefined> = { ...process.env, PORT: "1", DATA_DIR: tempDir(), LOG_LEVEL: "warn" };
    for (const k of ["RALLY_ENV", "REDIS_URL", "MONGO_URL", "DATABASE_URL", "JWT_SECRET", "ADMIN_TOKEN", "METRICS_TOKEN"]) delete env[k];
    const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "test/server/node/fixtures/bad-mode-main.ts")], { cwd: repoRoot, env, encoding: "utf8", timeout: 50_000, killSignal: "SIGKILL" });
    assert.equal(run.status, 1, `exit status (stderr: ${run.stderr})`);
    const lines = run.stderr.split("\n").filter((l) => l.trim() !== "" && !/dotenv|env file|injected env/.test(l));
    assert.deepEqual(lines, ['mode "trio": 3 teams, but room "arena" plays with 2'], run.stderr);
    assert.equal(run.stdout.trim(), "", "nothing started, nothing logged");
  });
});
