/**
 * Faults of a cluster without a pool manager: two real Rally nodes (child processes) on one private
 * redis-server and a shared store, played through the official @colyseus/sdk (guest -> `queue` ->
 * seat -> arena match).
 *
 * - Every Rally key has an owner and an expiry: after a round of matches that everyone leaves, the
 *   keys without a TTL are back to the baseline (plus the documented permanent keys of README's
 *   "Redis keys" table), and every other key has a TTL.
 * - A SIGKILLed match host (sixteen players in four matches) leaves nothing behind: within 10 s every player of its matches can queue
 *   again (on the surviving node) and is seated; no key names the dead node or its matches.
 * - A match that ends right before its node is told to stop leaves no ticket or record.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Client, type Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { freePort, guest, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle } from "../../support/processes.ts";
import { acceptSeat, joinQueue } from "../../support/matchmaker-e2e.ts";
import { sleep, until } from "../../support/wait.ts";


/**
 * Keys that live as long as the cluster, each bounded by something that is not players or matches
 * (modes, regions, nodes, lease names); README "Redis keys" lists them. Everything else must expire.
 */
const PERMANENT = [
  /^rally:nodes$/, /^roomcaches$/, /^roomcount$/,
  /^rally:mm:w:[^:]+$/, /^rally:mm:(seq|c):[^:]+$/, /^rally:mm:fence:[^:]+$/, /^rally:mm:lease:.+:fence$/,
  /^rally:mm:(oldest-wait|capacity-wait)(:by-mode)?$/, /^rally:mm:ttm$/,
  /^rally:social:pres:exp$/, /^rally:pool:limits$/,
];

async function allKeys(redis: Redis): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== "0");
  return out.sort();
}

/** Every key with its type, TTL and content as text (to search for a node's or a match's id). */
async function dump(redis: Redis): Promise<Array<{ key: string; ttl: number; text: string }>> {
  const out: Array<{ key: string; ttl: number; text: string }> = [];
  for (const key of await allKeys(redis)) {
    const type = await redis.type(key);
    const ttl = await redis.pttl(key);
    let value: unknown = null;
    if (type === "string") value = await redis.get(key);
    else if (type === "hash") value = await redis.hgetall(key);
    else if (type === "set") value = await redis.smembers(key);
    else if (type === "zset") value = await redis.zrange(key, "0", "-1");
    else if (type === "list") value = await redis.lrange(key, "0", "-1");
    out.push({ key, ttl, text: `${key} ${JSON.stringify(value)}` });
  }
  return out;
}

async function processIdOf(node: NodeHandle): Promise<string> {
  return ((await (await fetch(`${node.url}/readyz`)).json()) as { processId: string }).processId;
}

interface Player { client: Client; playerId: string; token: string }

describe("cluster faults: dead nodes and key ownership", function () {
  this.timeout(180_000);
  let redis: RedisHandle | undefined;
  let probe: Redis | undefined;
  const nodes: NodeHandle[] = [];
  const rooms: Room[] = [];
  /** Players reseated after the SIGKILL (used by the shutdown test). */
  const reseated: Room[] = [];
  let common: Record<string, string>;
  let seq = 0;

  before(async () => {
    redis = await startRedis();
    probe = new Redis(redis.url);
    common = {
      REDIS_URL: redis.url, SHARED_SQLITE_DIR: tempDir("rally-faults-store-"), JWT_SECRET: randomBytes(32).toString("hex"),
      LOG_LEVEL: "info", SERVE_DEMO: "false", REGION: "local", AUTH_RATE_PER_MIN: "1000", API_RATE_PER_MIN: "10000",
      MATCHMAKE_RATE_PER_MIN: "1000", GUEST_DEVICE_RATE_PER_MIN: "1000", MM_LEASE_TTL_MS: "2000", NODE_TTL_MS: "3000", PRESENCE_TTL_MS: "3000",
    };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      nodes.push(await startNodeProcess({ ...common, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}` }));
    }
  });

  after(async () => {
    await Promise.allSettled(rooms.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    probe?.disconnect();
    await redis?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const [i, n] of nodes.entries()) console.error(`--- node ${i} (port ${n.port}) output:\n${n.output.slice(-50).join("\n")}`);
    }
  });

  const player = async (node: NodeHandle): Promise<Player> => {
    const p = await guest(node.url, `faults-${++seq}-${randomBytes(4).toString("hex")}`);
    const client = new Client(node.url);
    client.auth.token = p.token;
    return { client, playerId: p.playerId, token: p.token };
  };

  /** Queue everyone for `arena` (2v2), accept the seats; returns the match rooms per player. */
  async function playRound(players: Player[]): Promise<Room[]> {
    const queued = await Promise.all(players.map((p) => joinQueue(p.client, { mode: "arena" })));
    const seated = await Promise.all(queued.map((q, i) => acceptSeat(players[i]!.client, q, 40_000)));
    for (const r of seated) r.onError(() => undefined);
    rooms.push(...seated);
    return seated;
  }

  it("keys: after a round everyone leaves, keys without a TTL are back to the baseline; every other Rally key expires", async () => {
    const [A, B] = nodes as [NodeHandle, NodeHandle];
    await sleep(1500);
    const baseline = new Set((await dump(probe!)).filter((k) => k.ttl === -1).map((k) => k.key));
    const players = await Promise.all([A, B, A, B, A, B, A, B].map(player));
    const seated = await playRound(players);
    assert.equal(new Set(seated.map((r) => r.roomId)).size, 2, "two 2v2 arena matches");
    const activity = async (id: string) => (JSON.parse((await probe!.get(`rally:social:pres:act:${id}`)) ?? "{}") as { status?: string }).status;
    await until("presence shows every player in match", async () => (await Promise.all(players.map((p) => activity(p.playerId)))).every((s) => s === "in_match"), 15_000, 100);
    await sleep(2000); // a few presence refreshes: the queue nodes must not write "in_queue" back
    for (const p of players) assert.equal(await activity(p.playerId), "in_match", "the queue node does not rewrite in_queue once the match began");
    await sleep(500);
    await Promise.all(seated.map((r) => r.leave(true)));
    // the matches end (everyone left), their tickets and records go; presence activities are cleared
    const leftover = async () => (await dump(probe!)).filter((k) => k.ttl === -1 && !baseline.has(k.key) && !PERMANENT.some((re) => re.test(k.key)));
    await until("no key without a TTL beyond the baseline and the permanent keys", async () => (await leftover()).length === 0, 15_000, 250)
      .catch(async (e) => { throw new Error(`${(e as Error).message}: ${(await leftover()).map((k) => k.text).join("\n")}`); });
    const keys = await dump(probe!);
    // every key without a TTL, the baseline's included, is one of README's permanent keys
    for (const k of keys) if (k.ttl === -1) assert.ok(PERMANENT.some((re) => re.test(k.key)), `${k.key} has no TTL and is not a documented permanent key`);
    assert.ok(keys.filter((k) => k.ttl === -1).length <= baseline.size + PERMANENT.length, "back to the baseline");
    for (const p of players) {
      assert.equal(await probe!.exists(`rally:mm:p:${p.playerId}`), 0, "no player record left");
      assert.equal(await probe!.exists(`rally:social:pres:act:${p.playerId}`), 0, "no presence activity left");
    }
    assert.deepEqual((await probe!.keys("rally:mm:t:*")), [], "no ticket left");
  });

  it("SIGKILL of the node hosting the matches: its players queue again and are seated within 10 s; no key of it remains", async () => {
    const [A, B] = nodes as [NodeHandle, NodeHandle];
    const ids = new Map([[await processIdOf(A), A], [await processIdOf(B), B]]);
    const players = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? B : A)).map(player));
    const seated = await playRound(players);
    const listed = Object.values(await probe!.hgetall("roomcaches")).map((l) => JSON.parse(l) as { roomId: string; processId: string });
    const hostOf = (r: Room) => ids.get(listed.find((l) => l.roomId === r.roomId)!.processId)!;
    // the node hosting the most matches dies; its players come back through the other one
    const byHost = new Map<NodeHandle, Room[]>();
    seated.forEach((r) => byHost.set(hostOf(r), [...(byHost.get(hostOf(r)) ?? []), r]));
    const victim = [...byHost.entries()].sort((a, b) => b[1].length - a[1].length)[0]![0];
    const survivor = victim === A ? B : A;
    const victimId = [...ids.entries()].find(([, n]) => n === victim)![0];
    const victimRooms = new Set(byHost.get(victim)!.map((r) => r.roomId));
    const matchIds = Object.values(await probe!.hgetall("roomcaches")).map((l) => JSON.parse(l) as { roomId: string; processId: string; metadata?: { matchId?: string } })
      .filter((l) => l.processId === victimId).map((l) => l.metadata?.matchId).filter((m): m is string => typeof m === "string");
    assert.ok(matchIds.length >= 1, "the victim hosts matches");
    const orphaned = players.filter((_, i) => victimRooms.has(seated[i]!.roomId));
    assert.ok(orphaned.length >= 4, `the victim hosts ${orphaned.length} players`);
    for (const r of seated) if (victimRooms.has(r.roomId)) r.onLeave(() => undefined);

    const killedAt = Date.now();
    await victim.stop("SIGKILL");
    nodes.splice(nodes.indexOf(victim), 1);

    // each orphaned player keeps trying the queue on the surviving node until it is let in, then takes its seat
    let refusedInMatch = 0;
    const reseat = async (p: Player): Promise<{ room: Room; queuedAfterMs: number; seatedAfterMs: number }> => {
      const client = new Client(survivor.url);
      client.auth.token = p.token;
      for (;;) {
        try {
          const q = await joinQueue(client, { mode: "arena" });
          const queuedAfterMs = Date.now() - killedAt;
          const room = await acceptSeat(client, q, 15_000);
          room.onError(() => undefined);
          return { room, queuedAfterMs, seatedAfterMs: Date.now() - killedAt };
        } catch (e) {
          if (!/MM_ALREADY_IN_MATCH|MM_ALREADY_QUEUED/.test(String((e as Error).message))) throw e;
          refusedInMatch++;
          await sleep(200);
        }
      }
    };
    const results = await Promise.all(orphaned.map(reseat));
    rooms.push(...results.map((r) => r.room));
    const survivorId = [...ids.entries()].find(([, n]) => n === survivor)![0];
    const queuedMax = Math.max(...results.map((r) => r.queuedAfterMs));
    const seatedMax = Math.max(...results.map((r) => r.seatedAfterMs));
    console.log(`      (${orphaned.length} players of ${matchIds.length} matches on the killed node: queue open again after <= ${queuedMax} ms, all seated ${seatedMax} ms after SIGKILL; NODE_TTL_MS=3000; ${refusedInMatch} refusals before)`);
    assert.ok(seatedMax <= 10_000, `every player of the dead node is seated within 10 s (${seatedMax} ms)`);
    for (const r of results) assert.ok(!victimRooms.has(r.room.roomId));
    const listings = Object.values(await probe!.hgetall("roomcaches")).map((l) => JSON.parse(l) as { roomId: string; processId: string });
    for (const r of results) assert.equal(listings.find((l) => l.roomId === r.room.roomId)?.processId, survivorId, "reseated on the surviving node");

    // nothing names the dead node or its matches (leases it held expire within their TTL)
    // (a match's chat membership stays for its TTL on purpose: its players may still read the match's chat)
    const traces = async () => (await dump(probe!)).filter((k) => !(k.key.startsWith("rally:social:chat:match:") && k.ttl > 0) && (k.text.includes(victimId) || matchIds.some((m) => k.text.includes(m))));
    await until("no key of the dead node", async () => (await traces()).length === 0, 10_000, 250)
      .catch(async (e) => { throw new Error(`${(e as Error).message}: ${(await traces()).map((k) => k.text).join("\n")}`); });
    assert.equal(await probe!.hexists("rally:nodes", victimId), 0);
    assert.match(await (await fetch(`${survivor.url}/metrics`)).text(), /^rally_nodes_reaped_total(\{[^}]*\})? 1$/m, "the survivor reaped it");
    assert.equal(await probe!.hexists("roomcount", victimId), 0);
    assert.equal(await probe!.get("rally:mm:lease:reaper").then((v) => v?.startsWith(victimId) ?? false), false);
    reseated.push(...results.map((r) => r.room));
  });

  it("a match that ends right before its node shuts down (SIGTERM) leaves no ticket or record", async () => {
    assert.ok(reseated.length >= 4, "the previous test's matches are running");
    const [last] = nodes as [NodeHandle];
    await Promise.all(reseated.map((r) => r.leave(true)));
    await sleep(25);
    await last.stop("SIGTERM");
    nodes.splice(0);
    const keys = await allKeys(probe!);
    assert.deepEqual(keys.filter((k) => k.startsWith("rally:mm:t:") || k.startsWith("rally:mm:p:")), [], "the ended matches' tickets and records were released before the node closed its Redis connection");
  });
});
