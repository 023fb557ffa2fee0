/**
 * Shared fixtures for room tests: an in-process Rally node started through `rally/testing` (the same
 * registration path as `npm start`) with a memory store and a recording result sink, plus SDK clients
 * for players. A test's own room classes are games passed at start (`games`), never added later.
 *
 * Colyseus' matchmaker is a process-wide singleton: one node per test file, started in `before` and
 * closed in `after`.
 */
import { ColyseusTestServer } from "@colyseus/testing";
import { Client, type Room as SdkRoom } from "@colyseus/sdk";
import type { GameNode } from "../../server/node/index.ts";
import type { Games, Logger } from "../../server/index.ts";
import type { Store } from "../../server/store/index.ts";
import type { MatchResult, MatchResultSink } from "../../rooms/index.ts";
import { startTestRally, type TestRallyOptions } from "../../testing/index.ts";
import { arenaGame } from "../../examples/arena/index.ts";

/** The example game every shared test node hosts unless a test passes its own `games`. */
export const defaultTestGames: Games = { arena: arenaGame };

/** A MatchResultSink that keeps every report, for assertions. */
export class RecordingSink implements MatchResultSink {
  readonly results: MatchResult[] = [];
  private waiters: Array<{ matchId: string; resolve: (r: MatchResult) => void }> = [];

  async report(result: MatchResult): Promise<void> {
    this.results.push(result);
    for (const w of this.waiters.filter((w) => w.matchId === result.matchId)) w.resolve(result);
    this.waiters = this.waiters.filter((w) => w.matchId !== result.matchId);
  }

  forMatch(matchId: string): MatchResult[] {
    return this.results.filter((r) => r.matchId === matchId);
  }

  /** Resolves with the first result for this match (already reported or still to come). */
  waitFor(matchId: string, timeoutMs = 10_000): Promise<MatchResult> {
    const known = this.results.find((r) => r.matchId === matchId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result for match ${matchId} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ matchId, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
  }
}

export interface TestNode {
  readonly node: GameNode;
  readonly url: string;
  readonly wsUrl: string;
  readonly sink: RecordingSink;
  /** @colyseus/testing helpers (createRoom, connectTo, getRoomById) bound to this node. */
  readonly colyseus: ColyseusTestServer;
  /** A fresh player and its access token (issued by the node's token service). */
  player(name?: string): Promise<{ playerId: string; name: string; token: string }>;
  /** An SDK client authenticated as `token` (or anonymous). */
  client(token?: string): Client;
  /** Two fresh players: A creates an open `roomName`, B joins it; resolves once A sees the match playing. */
  playingPair(roomName: string): Promise<[SdkRoom, SdkRoom]>;
  close(): Promise<void>;
}

export interface TestNodeOptions extends Omit<TestRallyOptions, "env" | "games" | "results"> {
  readonly store?: Store;
  /** Games added to the default arena (same key: replaces it). */
  readonly games?: Games;
  readonly logger?: Logger;
}

let playerSeq = 0;

/**
 * The shared test node (rally/testing) with the arena example and `options.games`, results recorded in
 * `sink`. `env` sets config variables as in the environment.
 */
export async function startTestNode(env: Record<string, string> = {}, options: TestNodeOptions = {}): Promise<TestNode> {
  const sink = new RecordingSink();
  const { games, ...rest } = options;
  const t = await startTestRally({ ...rest, games: { ...defaultTestGames, ...games }, results: sink, env });
  const node = t.node;
  const colyseus = new ColyseusTestServer(node.server);
  const testNode: TestNode = {
    node, sink, colyseus,
    url: t.url,
    wsUrl: t.wsUrl,
    async player(name) {
      const n = ++playerSeq;
      // A real player in the node's store: tokens for players the store does not know are refused.
      const record = await node.store.players.guest();
      const identity = { playerId: record.id, name: name ?? `Player${n}` };
      await node.store.players.rename(record.id, identity.name);
      const { token } = await node.tokens.issue(identity);
      return { ...identity, token };
    },
    client(token) {
      const client = new Client(t.wsUrl);
      if (token) client.auth.token = token;
      return client;
    },
    async playingPair(roomName) {
      const [a, b] = [await testNode.player("A"), await testNode.player("B")];
      const roomA = await testNode.client(a.token).joinOrCreate(roomName);
      const roomB = await testNode.client(b.token).joinById(roomA.roomId);
      await waitForState(roomA, (s: { phase?: string }) => s.phase === "playing", 5000, `${roomName} playing`);
      return [roomA, roomB];
    },
    close: () => t.close(),
  };
  return testNode;
}

/** Resolves when `predicate(room.state)` holds after some state change (checked immediately first). */
export function waitForState<S>(room: SdkRoom<unknown, S>, predicate: (state: S) => boolean, timeoutMs = 5000, what = "state condition"): Promise<S> {
  return new Promise((resolve, reject) => {
    if (room.state && predicate(room.state)) return resolve(room.state);
    const timer = setTimeout(() => { off(); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
    const handler = (state: S) => {
      if (predicate(state)) { off(); clearTimeout(timer); resolve(state); }
    };
    const off = () => room.onStateChange.remove(handler);
    room.onStateChange(handler);
  });
}

/** Resolves with the next `type` message on the SDK room. */
export function nextMessage<T = unknown>(room: SdkRoom, type: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { unbind(); reject(new Error(`no "${type}" message within ${timeoutMs} ms`)); }, timeoutMs);
    const unbind = room.onMessage(type, (message: T) => { clearTimeout(timer); unbind(); resolve(message); });
  });
}

/** Resolves with the close code once the SDK room is left. */
export function leaveCode(room: SdkRoom, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`room not left within ${timeoutMs} ms`)), timeoutMs);
    room.onLeave.once((code: number) => { clearTimeout(timer); resolve(code); });
  });
}

// One wait helper for every test (test/support/wait.ts).
export { sleep } from "./wait.ts";
