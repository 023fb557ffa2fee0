/**
 * The Unity path (client-sdk/unity/), compiled and run for real with Debian's Mono: the generated state
 * classes and the C# HTTP client compile with `mcs` at C# 7 (the state classes against the small stubs
 * in test/support/fixtures/unity-stubs, which are not the Colyseus SDK), the classes match the server's schemas
 * field by field, the committed classes are what the codegen makes today, and the HTTP client runs
 * under `mono` against a live node. Never skipped: without mono-mcs / mono-runtime it fails and says
 * what to install. What this does not cover (the Colyseus Unity SDK's own decoder and websocket layer)
 * is listed in client-sdk/unity/README.md.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ArenaBullet, ArenaPlayer, ArenaState } from "../../examples/arena/state.ts";
import { PeerPlayer, PeerState } from "../../rooms/social/peer-room.ts";
import type { QueueStatus } from "../../protocol/index.ts";
import { generateCsharp, STATE_DIR } from "../../client-sdk/unity/codegen.ts";
import { Client } from "@colyseus/sdk";
import { guest, repoRoot, startNodeProcess, tempDir, type NodeHandle } from "../support/processes.ts";

const run = promisify(execFile);
const INSTALL = "Install Debian's mono-mcs, mono-runtime and libmono-system-net-http4.0-cil (apt-get install mono-mcs mono-runtime libmono-system-net-http4.0-cil; .ci/run does this).";
const UNITY = join(repoRoot, "client-sdk/unity");
const cs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".cs")).sort().map((f) => join(dir, f));

function mcs(args: string[]): void {
  const out = spawnSync("mcs", ["-langversion:7", ...args], { encoding: "utf8" });
  if (out.error) throw new Error(`mcs could not run (${out.error.message}). ${INSTALL}`);
  if (out.status !== 0) throw new Error(`mcs failed:\n${out.stdout}${out.stderr}`);
}

async function mono<T>(exe: string, args: string[]): Promise<T> {
  let stdout: string;
  try {
    ({ stdout } = await run("mono", [exe, ...args], { encoding: "utf8", timeout: 60_000 }));
  } catch (e) {
    const err = e as { code?: string; stdout?: string; stderr?: string; message: string };
    if (err.code === "ENOENT") throw new Error(`mono is not installed. ${INSTALL}`);
    throw new Error(`mono ${args[0]} failed: ${err.stdout ?? ""}${err.stderr ?? ""}${err.message}`);
  }
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

interface FieldDump { index: number; name: string; type: string; child: string | null; default?: unknown }
interface ClassDump { name: string; fields: FieldDump[] }
type Meta = Record<string, { index: number; name: string; type: string | { map?: unknown; array?: unknown } }>;

/** The server-side schema as the C# dump describes it: wire type, child type, default. */
function serverSchema(klass: { name: string; new(): object }): ClassDump {
  const meta = (klass as unknown as Record<symbol, Meta>)[Symbol.metadata]!;
  const instance = new klass() as Record<string, unknown>;
  const fields = Object.values(meta).sort((a, b) => a.index - b.index).map((f): FieldDump => {
    if (typeof f.type === "string") return { index: f.index, name: f.name, type: f.type, child: null, default: instance[f.name] };
    const [kind, child] = Object.entries(f.type)[0]!;
    return { index: f.index, name: f.name, type: kind, child: typeof child === "string" ? child : (child as { name: string }).name };
  });
  return { name: klass.name, fields };
}

describe("Unity client: C# compiled with mcs, run under mono", function () {
  this.timeout(120_000);
  let dir: string;
  let smoke: string;

  before(function () {
    dir = tempDir("rally-unity-");
    // The HTTP client alone (no Colyseus types at all), warnings as errors.
    mcs(["-target:library", "-warnaserror+", "-r:System.Net.Http.dll", `-out:${join(dir, "Rally.Client.dll")}`, ...cs(join(UNITY, "Runtime"))]);
    // The generated state classes against the schema stubs.
    mcs(["-target:library", `-out:${join(dir, "Rally.State.dll")}`, ...cs(join(repoRoot, "test/support/fixtures/unity-stubs")), ...cs(join(UNITY, "State"))]);
    smoke = join(dir, "smoke.exe");
    mcs(["-target:exe", "-r:System.Net.Http.dll", "-r:System.Core.dll", `-r:${join(dir, "Rally.Client.dll")}`, `-r:${join(dir, "Rally.State.dll")}`,
      `-out:${smoke}`, join(repoRoot, "test/support/fixtures/unity-smoke/Smoke.cs")]);
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the committed C# state classes are exactly what `npm run codegen:csharp` makes from today's schemas", function () {
    const out = join(dir, "regenerated");
    const files = generateCsharp(out);
    assert.deepEqual(files, readdirSync(STATE_DIR).filter((f) => f.endsWith(".cs")).sort(), "run `npm run codegen:csharp` and commit client-sdk/unity/State/");
    for (const f of files) {
      assert.equal(readFileSync(join(STATE_DIR, f), "utf8"), readFileSync(join(out, f), "utf8"), `client-sdk/unity/State/${f} is stale: run \`npm run codegen:csharp\``);
    }
    assert.ok(files.includes("ArenaState.cs") && files.includes("PeerState.cs"));
  });

  it("the generated classes carry the server schemas' fields, indexes, wire types and defaults", async function () {
    const dump = await mono<ClassDump[]>(smoke, ["schema"]);
    const expected = [ArenaBullet, ArenaPlayer, ArenaState, PeerPlayer, PeerState]
      .map((k) => serverSchema(k as unknown as { name: string; new(): object }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    assert.deepEqual(dump.map((c) => c.name), expected.map((c) => c.name));
    for (const [i, want] of expected.entries()) {
      const got = dump[i]!;
      assert.deepEqual(got.fields.map(({ index, name, type, child }) => ({ index, name, type, child })),
        want.fields.map(({ index, name, type, child }) => ({ index, name, type, child })), `${want.name}: fields`);
      for (const [j, w] of want.fields.entries()) {
        if (w.child !== null) continue;
        const g = got.fields[j]!.default;
        // A field without a server default is undefined in JS and the C# type's default (null, false, 0).
        if (w.default === undefined) assert.ok(g === null || g === false || g === 0, `${want.name}.${w.name}: default ${String(g)}`);
        else assert.equal(g, w.default, `${want.name}.${w.name}: default`);
      }
    }
    // The private (StateView) fields are generated too: the owner's client decodes them.
    assert.ok(dump.find((c) => c.name === "ArenaPlayer")!.fields.some((f) => f.name === "ammo"));
  });

  it("reads the queue room's status message into QueueStatus", async function () {
    const status: QueueStatus = {
      state: "searching", mode: "arena", waitedMs: 4200, estimatedWaitMs: null, estimateBasis: 2, skillWindow: 150,
      regions: ["eu-west", "us-east"], region: null, party: { connected: 2, size: 3 },
      botsAtS: 48, nextRegionsAtS: 33, nextRegions: ["us-east"],
    };
    const got = await mono<Record<string, unknown>>(smoke, ["status", JSON.stringify(status)]);
    assert.deepEqual(got, { ...status, reason: null, sameViaMessage: true });
    const matched: QueueStatus = { ...status, state: "matched", estimatedWaitMs: 1500.5, region: "eu-west", party: undefined, reason: "LEFT" };
    const got2 = await mono<Record<string, unknown>>(smoke, ["status", JSON.stringify(matched)]);
    assert.equal(got2.estimatedWaitMs, 1500.5);
    assert.equal(got2.region, "eu-west");
    assert.equal(got2.party, null);
    const noOutlook = await mono<Record<string, unknown>>(smoke, ["status", JSON.stringify({ ...status, botsAtS: null, nextRegionsAtS: null, nextRegions: [] })]);
    assert.deepEqual([noOutlook.botsAtS, noOutlook.nextRegionsAtS, noOutlook.nextRegions], [null, null, []]);
  });

  it("the sample MonoBehaviour parses as C# 7 (it needs UnityEngine and the Colyseus SDK to compile)", function () {
    const sample = join(UNITY, "Samples/RallyArenaSample.cs");
    assert.ok(existsSync(sample));
    mcs(["--parse", sample]);
  });

  describe("the HTTP client against a live node", function () {
    let node: NodeHandle;
    type Err = { code: string; status: number } | null;
    let r: Record<string, unknown>;

    before(async function () {
      // Short-lived access tokens so the client meets an expired one.
      node = await startNodeProcess({ ACCESS_TOKEN_TTL_S: "3" });
      r = await mono<Record<string, unknown>>(smoke, ["http", node.url, "4500"]);
      assert.equal(r.fatal, undefined, String(r.fatal));
    });

    after(async function () {
      await node?.stop("SIGKILL");
    });

    it("signs in as a guest (same device, same player) and reads its own profile", function () {
      const g = r.guest as { playerId: string; name: string; hasToken: boolean; hasRefreshToken: boolean; expiresIn: number };
      assert.match(g.playerId, /^[A-Za-z0-9_-]+$/);
      assert.ok(g.hasToken && g.hasRefreshToken);
      assert.equal(g.expiresIn, 3);
      assert.equal(r.sameDeviceSamePlayer, true);
      const p = r.profile as Record<string, unknown>;
      assert.equal(p.playerId, g.playerId);
      assert.equal(p.name, g.name);
      assert.equal(p.username, null);
      assert.equal(p.banned, false);
      assert.ok(!Number.isNaN(Date.parse(String(p.createdAt))));
      assert.deepEqual(r.publicProfile, { ...p, username: null, banned: false });
    });

    it("refreshes (the refresh token rotates) and keeps working", function () {
      const g = r.guest as { playerId: string; name: string };
      assert.deepEqual(r.refresh, { playerId: g.playerId, name: g.name, rotated: true, sessionUpdated: true });
      assert.equal((r.profileAfterRefresh as { playerId: string }).playerId, g.playerId);
    });

    it("renames the player with non-ASCII text and reads it back", function () {
      assert.deepEqual(r.renamed, { name: "Zoë Ünity", readBack: "Zoë Ünity" });
    });

    it("creates, reads and leaves a party", function () {
      const party = r.party as Record<string, unknown>;
      assert.equal(party.leaderIsMe, true);
      assert.equal(party.memberIsMe, true);
      assert.match(String(party.code), /^[A-Za-z0-9]{6}$/);
      assert.equal(party.mode, null);
      assert.equal(party.queue, null);
      assert.equal(party.readBackSameId, true);
      assert.equal(r.partyAfterLeave, null);
    });

    it("turns error answers into RallyException with the catalog code", function () {
      assert.deepEqual(r.badToken as Err, { code: "AUTH_INVALID_TOKEN", status: 401 });
      assert.deepEqual(r.badDeviceId as Err, { code: "BAD_REQUEST", status: 400 });
      assert.deepEqual(r.notSignedIn as Err, { code: "AUTH_MISSING_TOKEN", status: 401 });
      assert.deepEqual(r.unreachable as Err, { code: "NETWORK", status: 0 });
    });

    it("refreshes an expired access token once for two concurrent calls", function () {
      assert.deepEqual(r.afterExpiry, { bothOk: true, refreshes: 1, tokenChanged: true });
    });

    it("hands out a fresh token for the Colyseus SDK, refreshing when it is about to expire", function () {
      assert.deepEqual(r.freshToken, { refreshed: 1, isSessionToken: true, rotated: true });
    });

    it("reads a live `status` message from the node's queue room into QueueStatus", async function () {
      const player = await guest(node.url);
      const client = new Client(node.url);
      client.auth.token = player.token;
      const queue = await client.joinOrCreate("queue", { mode: "arena" });
      let status: QueueStatus;
      try {
        status = await new Promise<QueueStatus>((resolve) => {
          queue.onMessage("*", () => undefined);
          queue.onMessage("status", (s: QueueStatus) => resolve(s));
        });
      } finally {
        await queue.leave(true).catch(() => undefined);
      }
      const got = await mono<Record<string, unknown>>(smoke, ["status", JSON.stringify(status)]);
      assert.deepEqual(got, { ...status, party: status.party ?? null, reason: status.reason ?? null, sameViaMessage: true });
      assert.equal(got.mode, "arena");
    });

    it("a replayed refresh token revokes the session, and both clients drop it", function () {
      assert.deepEqual(r.replay as Err, { code: "AUTH_TOKEN_REUSED", status: 401 });
      assert.equal(r.replayClearedSession, true);
      assert.deepEqual(r.afterReplay as Err, { code: "AUTH_REVOKED", status: 401 });
      assert.equal(r.afterReplayClearedSession, true);
    });
  });
});
