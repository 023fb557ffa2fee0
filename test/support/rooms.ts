/**
 * Shared fixtures for room tests: an in-process Rally node (the real wiring from server/node) on a
 * free port with a memory store and a recording result sink, plus SDK clients for players.
 *
 * Colyseus' matchmaker is a process-wide singleton: one node per test file, started in `before` and
 * closed in `after`.
 */
import { matchMaker } from "@colyseus/core";
import { ColyseusTestServer } from "@colyseus/testing";
import { Client, type Room as SdkRoom } from "@colyseus/sdk";
import { loadConfig } from "../../server/config.ts";
import { startGameNode, type GameNode } from "../../server/node/index.ts";
import { createMemoryStore, type Store } from "../../server/store/index.ts";
import { bindRoom, noopObserver, type MatchResult, type MatchResultSink, type MatchRoom, type RoomServices } from "../../rooms/index.ts";
import { freePort, tempDir } from "./processes.ts";

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
  /** Registers a test MatchRoom class as `name` with this node's tokens and sink (1 s reconnection window); removed on close. */
  defineRoom(name: string, Klass: new () => MatchRoom, logger?: RoomServices["logger"]): void;
  close(): Promise<void>;
}

let playerSeq = 0;

export async function startTestNode(env: Record<string, string> = {}, options: { store?: Store } = {}): Promise<TestNode> {
  const port = await freePort();
  const config = loadConfig({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: tempDir(), LOG_LEVEL: "silent", SERVE_DEMO: "false", ...env });
  const sink = new RecordingSink();
  const node = await startGameNode(config, { store: options.store ?? await createMemoryStore(), results: sink });
  const colyseus = new ColyseusTestServer(node.server);
  const testRooms: string[] = [];
  const quiet: RoomServices["logger"] = { info() {}, warn() {}, debug() {}, error() {} };
  let closed = false;
  const testNode: TestNode = {
    node, sink, colyseus,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
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
      const client = new Client(`ws://127.0.0.1:${port}`);
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
    defineRoom(name, Klass, logger = quiet) {
      const services: RoomServices = {
        tokens: node.tokens, results: sink, observer: noopObserver, logger,
        region: "local", reconnectWindowS: 1, drainTimeoutS: 5,
      };
      matchMaker.defineRoomType(name, bindRoom(Klass, services));
      testRooms.push(name);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Close every room first: a node drains running matches (up to DRAIN_TIMEOUT_S) before it stops.
      await Promise.all(matchMaker.disconnectAll());
      for (const name of testRooms) matchMaker.removeRoomType(name);
      await node.close();
    },
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
