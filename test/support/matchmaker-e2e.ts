/**
 * End-to-end fixtures for the matchmaker: an in-process Rally node started through rally/testing (the
 * real wiring, the real player result sink so ratings update) with short connect timeouts, guest players over HTTP, official
 * @colyseus/sdk clients, and the QueueRoom client flow (`seat` -> `confirm` -> consumeSeatReservation).
 */
import { Client, type Room as SdkRoom } from "@colyseus/sdk";
import type { GameNode } from "../../server/node/index.ts";
import { startTestRally, type TestRallyOptions } from "../../testing/index.ts";
import { defaultTestGames } from "./rooms.ts";
import { guest } from "./processes.ts";

export const ADMIN_TOKEN = "mm-e2e-admin-token-0123456789-abcdef";

export interface MmNode {
  readonly node: GameNode;
  readonly url: string;
  player(): Promise<{ playerId: string; name: string; token: string }>;
  client(token: string): Client;
  setRating(playerId: string, mode: string, rating: number): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

/** `options.games` default to the arena example (its `arena` and `5v5` modes). */
export async function startMmNode(env: Record<string, string> = {}, options: Partial<Omit<TestRallyOptions, "env">> = {}): Promise<MmNode> {
  const t = await startTestRally({
    games: defaultTestGames, ...options,
    env: { ADMIN_TOKEN, MM_CONNECT_TIMEOUT_S: "2", MM_QUEUE_GRACE_S: "2", ...env },
  });
  const { node, url } = t;
  return {
    node, url,
    player: () => guest(url, `mm-device-${++seq}-${Math.random().toString(36).slice(2)}`),
    client(token) {
      const c = new Client(url);
      c.auth.token = token;
      return c;
    },
    async setRating(playerId, mode, rating) {
      const res = await fetch(`${url}/v1/admin/players/${playerId}/rating`, {
        method: "PUT", headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ mode, rating }),
      });
      if (res.status !== 200) throw new Error(`set rating: ${res.status} ${await res.text()}`);
    },
    close: () => t.close(),
  };
}

export interface Queued {
  readonly queue: SdkRoom;
  readonly statuses: Array<Record<string, unknown>>;
  /** resolves with the seat reservation when it arrives */
  readonly seat: Promise<Record<string, unknown> & { roomId: string; sessionId: string }>;
}

/** Join `queue` and record every status; `seat` resolves on the `seat` message. */
export async function joinQueue(client: Client, options: Record<string, unknown>): Promise<Queued> {
  const queue = await client.joinOrCreate("queue", options);
  const statuses: Array<Record<string, unknown>> = [];
  queue.onMessage("status", (s: Record<string, unknown>) => statuses.push(s));
  queue.onMessage("error", () => undefined);
  const seat = new Promise<Record<string, unknown> & { roomId: string; sessionId: string }>((resolve) => queue.onMessage("seat", resolve));
  return { queue, statuses, seat };
}

/** The Colyseus QueueRoom client flow: on `seat`, send `confirm`, then consume the reservation. */
export async function acceptSeat(client: Client, q: Queued, timeoutMs = 20_000): Promise<SdkRoom> {
  const seat = await within(q.seat, timeoutMs, "a seat");
  q.queue.send("confirm");
  const room = await client.consumeSeatReservation(seat as never);
  room.onMessage("*", () => undefined);
  return room;
}

export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

export { until } from "./wait.ts";

/** Does `node` lead `mode`'s matcher now (its /metrics `rally_mm_leader` gauge)? An unreachable node does not. */
export async function leadsMode(node: { readonly url: string }, mode: string): Promise<boolean> {
  const text = await fetch(`${node.url}/metrics`).then((r) => r.text()).catch(() => "");
  return new RegExp(`^rally_mm_leader\\{[^}]*mode="${mode}"[^}]*\\} 1$`, "m").test(text);
}

export function nextMessage<T = unknown>(room: SdkRoom, type: string, timeoutMs = 10_000): Promise<T> {
  return within(new Promise<T>((resolve) => {
    const off = room.onMessage(type, (m: T) => { off(); resolve(m); });
  }), timeoutMs, `"${type}" message`);
}

/** What tests read of the arena example's synced state. */
export interface ArenaView { phase: string; players: Map<string, { playerId: string; team: number }> }
export const arenaStateOf = (r: SdkRoom): ArenaView => r.state as unknown as ArenaView;
