/**
 * One `duel` of the tap example against a running node, the way a game client plays it: guest auth over
 * HTTP, official @colyseus/sdk clients join `queue` with the mode, take the `seat` (confirm, consume the
 * reservation), tap to the target, and find the result in their match history.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Client, type Room } from "@colyseus/sdk";
import { freePort, guest, tempDir } from "../../support/processes.ts";
import { acceptSeat, joinQueue, nextMessage } from "../../support/matchmaker-e2e.ts";
import { until } from "../../support/wait.ts";

interface TapView { phase: string; target: number; players: Map<string, { name: string; team: number; taps: number }> }
interface HistoryEntry { matchId: string; mode: string; outcome: string; score: number }

async function history(url: string, token: string): Promise<HistoryEntry[]> {
  const res = await fetch(`${url}/v1/players/me/matches`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { matches: HistoryEntry[] }).matches;
}

/** Plays one duel to the end: the first player taps to the target and wins. Returns the match id. */
export async function playTapDuel(url: string): Promise<string> {
  const tag = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const players = await Promise.all([guest(url, `tap-a-${tag}`), guest(url, `tap-b-${tag}`)]);
  const clients = players.map((p) => {
    const c = new Client(url);
    c.auth.token = p.token;
    return c;
  });
  const rooms: Room[] = [];
  try {
    const queued = await Promise.all(clients.map((c) => joinQueue(c, { mode: "duel" })));
    rooms.push(...queued.map((q) => q.queue));
    const [a, b] = await Promise.all(queued.map((q, i) => acceptSeat(clients[i], q)));
    rooms.push(a, b);
    assert.equal(a.roomId, b.roomId, "both seated in one tap room");
    const view = (r: Room) => r.state as unknown as TapView;
    await until("the duel to start", () => view(a)?.phase === "playing" && view(b)?.phase === "playing" && view(a).players.size === 2);

    // A tap the room's schema refuses changes nothing and says why.
    const refused = nextMessage<{ code: string }>(a, "error");
    a.send("tap", { count: 100 });
    assert.equal((await refused).code, "INVALID_MESSAGE");

    const results = [a, b].map((r) => nextMessage<{ matchId: string; outcome: string; winnerTeam: number | null; reason: string }>(r, "result"));
    b.send("tap", { count: 1 });
    for (let i = 0; i < view(a).target / 5; i++) a.send("tap", { count: 5 });
    const [result, seenByB] = await Promise.all(results);
    assert.equal(result.outcome, "completed");
    assert.equal(result.reason, "target");
    assert.equal(seenByB.matchId, result.matchId);
    const winnerTeam = view(a).players.get(a.sessionId)!.team;
    assert.equal(result.winnerTeam, winnerTeam);

    // Stored: both players' history holds the match, the tapper as the winner.
    await until("the result in both histories", async () => {
      const [ha, hb] = await Promise.all(players.map((p) => history(url, p.token)));
      return ha.some((m) => m.matchId === result.matchId) && hb.some((m) => m.matchId === result.matchId);
    });
    const [ha, hb] = await Promise.all(players.map((p) => history(url, p.token)));
    const mine = ha.find((m) => m.matchId === result.matchId)!;
    const theirs = hb.find((m) => m.matchId === result.matchId)!;
    assert.equal(mine.mode, "duel");
    assert.equal(mine.outcome, "win");
    assert.equal(mine.score, view(a).target);
    assert.equal(theirs.outcome, "loss");
    return result.matchId;
  } finally {
    await Promise.allSettled(rooms.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
  }
}

export interface GameProcess {
  readonly url: string;
  readonly output: string[];
  /** SIGTERM (the node drains and exits), SIGKILL after 10 s; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `node --import tsx <entry>` with Rally's settings in the environment (a free PORT, a temp DATA_DIR, a
 * random JWT_SECRET), ready when /readyz answers 200. `tsx` is given by path, so a folder without its
 * own copy (a studio's game outside this repo) runs too.
 */
export async function startGameProcess(entry: string, cwd: string): Promise<GameProcess> {
  const port = await freePort();
  const output: string[] = [];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const child = spawn(process.execPath, ["--import", tsx, entry], {
    cwd,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: tempDir("rally-example-"), JWT_SECRET: randomBytes(36).toString("base64url"), LOG_LEVEL: "warn", MM_CONNECT_TIMEOUT_S: "5" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (d: Buffer) => output.push(...d.toString().split("\n").filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      until(`${entry} on port ${port}`, async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, 30_000, 100),
      exited.then((code) => { throw new Error(`${entry} exited early with ${code}:\n${output.join("\n")}`); }),
    ]);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    url, output,
    async stop() {
      if (child.exitCode !== null) return exited;
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      try { return await exited; } finally { clearTimeout(kill); }
    },
  };
}
