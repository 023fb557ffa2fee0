/**
 * The browser demo served at `/`: guest login, join an arena, draw it, send input. It uses only the
 * public SDK (bundled separately as /rally.js) and the arena example's client
 * (examples/arena/client.ts, bundled into demo.js), so it doubles as the reference for a web client.
 *
 * The side panel (demo/social.ts) adds friends with live presence, a party that queues together (the
 * arena view takes over when the matchmaker seats it) and a peer-to-peer chat over a relay session.
 *
 * Identity: a device id in localStorage plus a per-tab suffix in sessionStorage, so a reload keeps the
 * player (and its seat, through the stored reconnection token) while a second tab is a second player.
 */
import { Interpolator, RallyApiError, RallyClient, RallyRoomError, webStorage, type MatchResult } from "../index.ts";
import {
  ARENA, ArenaHandle, joinArena, reconnectArena, type ArenaRoom, type ArenaPhase, type ArenaStateView,
} from "../../examples/arena/client.ts";
import { startSocialPanel, type SocialPanel } from "./social.ts";
import { endScreen, entryFor, rewardsLine, type EndOutcome, type EndScreen } from "./end-screen.ts";

/** What tests read instead of parsing pixels (see test/client-sdk/browser.test.ts). */
export interface RallyDebug {
  readonly sessionId: string | null;
  readonly playerId: string | null;
  readonly phase: ArenaPhase | "connecting" | "queueing" | "idle" | "error";
  snapshot(): DebugSnapshot | null;
  /** The side panel (friends, party, relay); null until logged in. */
  readonly social: SocialPanel | null;
  /** The end screen once a result arrived: outcome, and rating and coins once the result is stored. */
  readonly end: EndDebug | null;
}

export interface EndDebug {
  matchId: string;
  outcome: EndOutcome;
  headline: string;
  /** The rating and coins line; null while the stored result is awaited. */
  rewards: string | null;
  ratingDelta: number | null;
  coins: number | null;
}

export interface DebugSnapshot {
  sessionId: string;
  phase: ArenaPhase;
  elapsedMs: number;
  teamScores: number[];
  players: Record<string, { playerId: string; name: string; team: number; x: number; y: number; hp: number; score: number; connected: boolean }>;
  bullets: number;
  ammo: number | null;
}

declare global {
  interface Window {
    rally?: RallyDebug;
  }
}

const TEAM_COLORS = ["#4da3ff", "#ff8a3d"] as const;
const INPUT_INTERVAL_MS = 50;
const RECONNECT_KEY = "rally.reconnect";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>("arena");
const ctx = canvas.getContext("2d")!;
const ui = {
  player: $("player"), status: $("status"), score0: $("score0"), score1: $("score1"), timer: $("timer"),
  overlay: $("overlay"), headline: $("headline"), subline: $("subline"), again: $<HTMLButtonElement>("again"),
  rewards: $("rewards"),
};

function randomId(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function stored(storage: Storage, key: string, make: () => string): string {
  let v = storage.getItem(key);
  if (!v) storage.setItem(key, (v = make()));
  return v;
}

const deviceId = `${stored(localStorage, "rally.device", () => randomId(8))}-${stored(sessionStorage, "rally.tab", () => randomId(4))}`;
const rally = new RallyClient(location.origin, { store: webStorage(sessionStorage) });

let arena: ArenaHandle | null = null;
let phase: RallyDebug["phase"] = "connecting";
let lastResult: MatchResult | null = null;
let ending: (EndScreen & { debug: EndDebug }) | null = null;
/** Coins when this room was joined: the end screen shows what the match added. */
let coinsBefore: Promise<number | null> = Promise.resolve(null);
const remote = new Interpolator({ delayMs: 100 });
let lastPatchAt = 0;
/** Own player drawn slightly smoothed toward the server position (no 100 ms delay for yourself). */
let ownDrawn: { x: number; y: number } | null = null;

// ---- session and room ---------------------------------------------------------------------------

async function login(): Promise<void> {
  if (rally.auth.session) {
    try {
      await rally.me(); // refreshes the token if needed and proves the session still works
      return;
    } catch {
      rally.auth.logout();
    }
  }
  await rally.auth.guest({ deviceId });
}

async function enterArena(): Promise<void> {
  setPhase("connecting");
  show("Joining an arena…", "");
  const saved = sessionStorage.getItem(RECONNECT_KEY);
  let handle: ArenaHandle | null = null;
  if (saved) {
    try {
      handle = await reconnectArena(rally, saved); // a page reload within the reconnection window keeps the seat
    } catch {
      sessionStorage.removeItem(RECONNECT_KEY);
    }
  }
  handle ??= await joinArena(rally);
  adopt(handle);
}

function adopt(handle: ArenaHandle): void {
  arena = handle;
  lastResult = null;
  ending = null;
  delete document.body.dataset.outcome;
  ui.rewards.hidden = true;
  ui.rewards.textContent = "";
  coinsBefore = rally.inventory().then((items) => items.coins ?? 0, () => null);
  remote.clear();
  ownDrawn = null;
  sessionStorage.setItem(RECONNECT_KEY, handle.reconnectionToken);
  handle.on("state", (state) => { if (arena === handle) onState(state); }); // not a room left for the queue
  handle.on("result", (result) => {
    if (arena !== handle) return; // a room this tab already left (the party went to the queue)
    lastResult = result;
    sessionStorage.removeItem(RECONNECT_KEY);
    showEnd(result);
  });
  handle.on("error", (e) => status(`${e.code}: ${e.message}`, "error"));
  handle.on("draining", (n) => status(`server restarting: match ends within ${n.endsWithinS}s`));
  handle.on("drop", () => status("connection lost, reconnecting…", "error"));
  handle.on("reconnect", () => {
    sessionStorage.setItem(RECONNECT_KEY, handle.reconnectionToken);
    remote.clear();
    status(phase);
  });
  handle.on("leave", () => {
    if (arena !== handle) return; // left on purpose (the party went to the queue)
    sessionStorage.removeItem(RECONNECT_KEY);
    arena = null;
    if (!lastResult) show("Disconnected", "The room closed.");
    ui.again.hidden = false;
  });
  if (handle.state) onState(handle.state);
}

function onState(state: ArenaStateView): void {
  lastPatchAt = performance.now();
  if (state.phase !== phase) setPhase(state.phase);
  const own = arena?.sessionId;
  const ids: string[] = [];
  state.players.forEach((p, id) => {
    ids.push(id);
    if (id === own) return;
    const prev = remote.sample(id, Infinity); // newest snapshot
    // A respawn is a teleport: blending across the map would draw a player sliding through walls.
    if (prev && Math.hypot(prev.x - p.x, prev.y - p.y) > 150) remote.remove(id);
    remote.push(id, { x: p.x, y: p.y, angle: p.aim });
  });
  remote.retain(ids);
}

function setPhase(next: RallyDebug["phase"]): void {
  phase = next;
  socialPanel?.refresh();
  document.body.dataset.phase = next;
  if (arena) document.body.dataset.sessionId = arena.sessionId;
  status(next);
}

function status(text: string, kind: "info" | "error" = "info"): void {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

function show(headline: string, subline: string): void {
  ui.overlay.hidden = false;
  ui.headline.textContent = headline;
  ui.subline.textContent = subline;
}

// ---- end screen: won or lost, then rating and coins ---------------------------------------------

function showEnd(result: MatchResult): void {
  const screen = endScreen(result, rally.auth.playerId);
  const debug: EndDebug = { matchId: result.matchId, outcome: screen.outcome, headline: screen.headline, rewards: null, ratingDelta: null, coins: null };
  const mine = (ending = { ...screen, debug });
  document.body.dataset.outcome = screen.outcome;
  show(screen.headline, screen.detail);
  const rated = result.outcome === "completed" && result.ranked !== false && !result.againstBotsOnly;
  const done = (line: string) => {
    if (ending !== mine) return; // a new match started meanwhile
    debug.rewards = line;
    ui.rewards.textContent = line;
    ui.rewards.hidden = false;
  };
  if (!rated) {
    done(result.againstBotsOnly ? "Against bots only: unrated, no coins." : result.outcome !== "completed" ? "Not completed: no rating change or coins." : rewardsLine({ ranked: false, mmrBefore: null, mmrAfter: null, coins: null, coinsNow: null }));
    return;
  }
  ui.rewards.textContent = "rating and coins: updating…";
  ui.rewards.hidden = false;
  void (async () => {
    // The node stores the result right after the match (retried while the store is down): poll briefly.
    const deadline = Date.now() + 20_000;
    let entry = null;
    while (!entry && Date.now() < deadline && ending === mine) {
      entry = entryFor(await rally.matches(5).catch(() => []), result.matchId);
      if (!entry) await new Promise((r) => setTimeout(r, 500));
    }
    if (!entry) return done("Rating and coins are not stored yet; see your profile later.");
    const [before, now] = await Promise.all([coinsBefore, rally.inventory().then((i) => i.coins ?? 0, () => null)]);
    const coins = before !== null && now !== null ? now - before : null;
    debug.ratingDelta = entry.mmrBefore !== null && entry.mmrAfter !== null ? entry.mmrAfter - entry.mmrBefore : null;
    debug.coins = coins;
    done(rewardsLine({ ranked: true, mmrBefore: entry.mmrBefore, mmrAfter: entry.mmrAfter, coins, coinsNow: now }));
  })();
}

// ---- queueing as a party (the side panel drives it) -------------------------------------------

const queueHooks = {
  async beforeQueue(mode: string): Promise<void> {
    const previous = arena;
    arena = null; // its leave handler now ignores the leave
    sessionStorage.removeItem(RECONNECT_KEY);
    remote.clear();
    ui.again.hidden = true;
    ui.timer.textContent = "--:--";
    ui.score0.textContent = ui.score1.textContent = "0";
    setPhase("queueing");
    show(`Queueing for ${mode} as a party…`, "joining the queue");
    await previous?.leave().catch(() => undefined);
  },
  status(s: {
    state: string; waitedMs: number; estimatedWaitMs: number | null; party?: { connected: number; size: number };
    botsAtS?: number | null; nextRegionsAtS?: number | null; nextRegions?: string[];
  }): void {
    if (phase !== "queueing") return;
    const parts = [s.state === "gathering" && s.party ? `waiting for the party ${s.party.connected}/${s.party.size}` : s.state,
      `${Math.round(s.waitedMs / 1000)} s`];
    if (s.estimatedWaitMs !== null) parts.push(`about ${Math.ceil(s.estimatedWaitMs / 1000)} s left`);
    // what comes next, from the mode's rules: more regions, then bots (seconds of wait, like waitedMs)
    const waitedS = s.waitedMs / 1000;
    if (s.nextRegionsAtS != null && s.nextRegions?.length) parts.push(`+${s.nextRegions.join(", ")} in ${Math.ceil(s.nextRegionsAtS - waitedS)} s`);
    if (s.botsAtS != null) parts.push(s.botsAtS > waitedS ? `bots may fill in ${Math.ceil(s.botsAtS - waitedS)} s` : "bots may fill");
    show("Queueing as a party…", parts.join(" · "));
    status(`queue: ${s.state}`);
  },
  seated(room: unknown): void {
    adopt(new ArenaHandle(room as ArenaRoom));
    setPhase(arena?.state?.phase ?? "waiting");
  },
  inMatch(): boolean {
    return arena !== null && (phase === "waiting" || phase === "playing");
  },
  queueEnded(reason: string, cancelled: boolean): void {
    if (arena) return;
    setPhase(cancelled ? "idle" : "error");
    if (!cancelled) status(reason, "error");
    show(cancelled ? "Queue cancelled" : "Queue ended", reason);
    ui.again.hidden = false;
  },
};

// ---- input --------------------------------------------------------------------------------------

const keys = new Set<string>();
const pointer = { x: ARENA.width / 2, y: ARENA.height / 2, down: false };
let lastSent = { x: 0, y: 0, aim: 0, fire: false };
let lastSentAt = 0;

const KEY_DIRS: Record<string, [number, number]> = {
  KeyW: [0, -1], ArrowUp: [0, -1], KeyS: [0, 1], ArrowDown: [0, 1],
  KeyA: [-1, 0], ArrowLeft: [-1, 0], KeyD: [1, 0], ArrowRight: [1, 0],
};

addEventListener("keydown", (e) => {
  if (e.code in KEY_DIRS || e.code === "Space") e.preventDefault();
  keys.add(e.code);
  maybeSendInput();
});
addEventListener("keyup", (e) => {
  keys.delete(e.code);
  maybeSendInput();
});
addEventListener("blur", () => keys.clear()); // a key released in another window would otherwise stick
canvas.addEventListener("pointermove", (e) => {
  const r = canvas.getBoundingClientRect();
  pointer.x = ((e.clientX - r.left) / r.width) * ARENA.width;
  pointer.y = ((e.clientY - r.top) / r.height) * ARENA.height;
});
canvas.addEventListener("pointerdown", () => { pointer.down = true; maybeSendInput(); });
addEventListener("pointerup", () => { pointer.down = false; maybeSendInput(); });
ui.again.addEventListener("click", () => {
  ui.again.hidden = true;
  enterArena().catch(fail);
});

function currentInput(): { x: number; y: number; aim: number; fire: boolean } {
  let x = 0, y = 0;
  for (const code of keys) {
    const dir = KEY_DIRS[code];
    if (dir) { x += dir[0]; y += dir[1]; }
  }
  x = Math.sign(x); y = Math.sign(y);
  const me = arena?.me;
  const from = ownDrawn ?? me ?? { x: ARENA.width / 2, y: ARENA.height / 2 };
  const aim = Math.atan2(pointer.y - from.y, pointer.x - from.x);
  return { x, y, aim, fire: pointer.down || keys.has("Space") };
}

/** Sends when the input changed, at most every INPUT_INTERVAL_MS (the timer below catches the rest). */
function maybeSendInput(): void {
  if (!arena || phase !== "playing") return;
  const input = currentInput();
  const changed = input.x !== lastSent.x || input.y !== lastSent.y || input.fire !== lastSent.fire || Math.abs(input.aim - lastSent.aim) > 0.02;
  if (!changed || performance.now() - lastSentAt < INPUT_INTERVAL_MS) return;
  arena.sendInput(input);
  lastSent = input;
  lastSentAt = performance.now();
}
setInterval(maybeSendInput, INPUT_INTERVAL_MS);

// ---- drawing ------------------------------------------------------------------------------------

function fitCanvas(): void {
  const dpr = Math.min(2, devicePixelRatio || 1);
  if (canvas.width !== ARENA.width * dpr) {
    canvas.width = ARENA.width * dpr;
    canvas.height = ARENA.height * dpr;
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
}

function draw(): void {
  requestAnimationFrame(draw);
  fitCanvas();
  ctx.clearRect(0, 0, ARENA.width, ARENA.height);
  drawFloor();
  const state = arena?.state;
  if (!state) return;
  const now = performance.now();
  const since = (now - lastPatchAt) / 1000;

  for (const b of state.bullets.values()) {
    // Bullets fly straight: extrapolate from the last patch with their velocity.
    ctx.fillStyle = TEAM_COLORS[b.team] ?? "#fff";
    ctx.beginPath();
    ctx.arc(b.x + b.vx * since, b.y + b.vy * since, ARENA.bulletRadius, 0, Math.PI * 2);
    ctx.fill();
  }

  const ownId = arena?.sessionId;
  state.players.forEach((p, id) => {
    let pos: { x: number; y: number; angle?: number };
    if (id === ownId) {
      ownDrawn = ownDrawn && Math.hypot(ownDrawn.x - p.x, ownDrawn.y - p.y) < 150
        ? { x: ownDrawn.x + (p.x - ownDrawn.x) * 0.35, y: ownDrawn.y + (p.y - ownDrawn.y) * 0.35 }
        : { x: p.x, y: p.y };
      pos = { ...ownDrawn, angle: currentInput().aim };
    } else {
      pos = remote.sample(id, now) ?? p;
    }
    drawPlayer(pos.x, pos.y, pos.angle ?? p.aim, p.team, p.name, p.hp, p.respawnInMs, p.connected, id === ownId);
  });

  ui.score0.textContent = String(state.teamScores[0] ?? 0);
  ui.score1.textContent = String(state.teamScores[1] ?? 0);
  const left = Math.max(0, state.timeLimitMs - state.elapsedMs);
  ui.timer.textContent = state.phase === "waiting" ? "--:--" : `${Math.floor(left / 60000)}:${String(Math.floor(left / 1000) % 60).padStart(2, "0")}`;
  drawAmmo(arena?.me?.ammo ?? 0);
  updateOverlay(state);
}

function drawFloor(): void {
  ctx.fillStyle = "#121826";
  ctx.fillRect(0, 0, ARENA.width, ARENA.height);
  ctx.strokeStyle = "#1b2336";
  ctx.lineWidth = 1;
  for (let x = 50; x < ARENA.width; x += 50) { ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, ARENA.height); ctx.stroke(); }
  for (let y = 50; y < ARENA.height; y += 50) { ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(ARENA.width, y); ctx.stroke(); }
  ctx.fillStyle = "rgba(77,163,255,.06)"; ctx.fillRect(0, 0, 120, ARENA.height);
  ctx.fillStyle = "rgba(255,138,61,.06)"; ctx.fillRect(ARENA.width - 120, 0, 120, ARENA.height);
}

function drawPlayer(x: number, y: number, aim: number, team: number, name: string, hp: number, respawnInMs: number, connected: boolean, own: boolean): void {
  const color = TEAM_COLORS[team] ?? "#ccc";
  const r = ARENA.playerRadius;
  ctx.save();
  ctx.globalAlpha = respawnInMs > 0 ? 0.25 : connected ? 1 : 0.45;
  ctx.strokeStyle = color; ctx.lineWidth = 4; ctx.lineCap = "round";
  ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + Math.cos(aim) * (r + 9), y + Math.sin(aim) * (r + 9)); ctx.stroke();
  ctx.fillStyle = color;
  ctx.beginPath(); ctx.arc(x, y, r, 0, Math.PI * 2); ctx.fill();
  if (own) { ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.stroke(); }
  ctx.globalAlpha = 1;
  ctx.fillStyle = "#e6ebf5"; ctx.font = "600 12px system-ui, sans-serif"; ctx.textAlign = "center";
  ctx.fillText(connected ? name : `${name} (offline)`, x, y - r - 14);
  for (let i = 0; i < ARENA.maxHp; i++) {
    ctx.fillStyle = i < hp ? "#7ee787" : "#2b3550";
    ctx.fillRect(x - 15 + i * 11, y - r - 9, 9, 4);
  }
  if (respawnInMs > 0) { ctx.fillStyle = "#e6ebf5"; ctx.fillText(`${(respawnInMs / 1000).toFixed(1)}s`, x, y + 4); }
  ctx.restore();
}

function drawAmmo(ammo: number): void {
  for (let i = 0; i < ARENA.maxAmmo; i++) {
    ctx.fillStyle = i < ammo ? "#e6ebf5" : "#2b3550";
    ctx.fillRect(16 + i * 10, ARENA.height - 22, 6, 12);
  }
}

function updateOverlay(state: ArenaStateView): void {
  if (state.phase === "playing") {
    ui.overlay.hidden = true;
  } else if (state.phase === "waiting") {
    const n = state.players.size;
    show(n < 2 ? "Waiting for players…" : "Get ready!", n < 2 ? "Open this page in another tab to start a match." : `${n} players in, starting`);
  } else if (ending) {
    show(ending.headline, ending.detail);
  } else {
    // Ended, the result message not here yet.
    const winner = state.winnerTeam >= 0 ? state.winnerTeam : null;
    show(winner === null ? "Draw" : `${winner === 0 ? "Blue" : "Orange"} team wins`, "");
  }
}

// ---- debug hook and start -----------------------------------------------------------------------

window.rally = {
  get sessionId() { return arena?.sessionId ?? null; },
  get playerId() { return rally.auth.playerId; },
  get phase() { return phase; },
  get social() { return socialPanel; },
  get end() { return ending ? { ...ending.debug } : null; },
  snapshot(): DebugSnapshot | null {
    const state = arena?.state;
    if (!arena || !state) return null;
    const players: DebugSnapshot["players"] = {};
    state.players.forEach((p, id) => {
      players[id] = { playerId: p.playerId, name: p.name, team: p.team, x: p.x, y: p.y, hp: p.hp, score: p.score, connected: p.connected };
    });
    return { sessionId: arena.sessionId, phase: state.phase, elapsedMs: state.elapsedMs, teamScores: [...state.teamScores], players, bullets: state.bullets.size, ammo: arena.me?.ammo ?? null };
  },
};

function fail(e: unknown): void {
  phase = "error";
  document.body.dataset.phase = "error";
  const message = e instanceof RallyApiError || e instanceof RallyRoomError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
  status(message, "error");
  show("Something went wrong", message);
  ui.again.hidden = false;
}

let socialPanel: SocialPanel | null = null;

requestAnimationFrame(draw);
login()
  .then(() => {
    ui.player.textContent = rally.auth.session?.name ?? "guest";
    socialPanel = startSocialPanel(rally, queueHooks);
    return enterArena();
  })
  .catch(fail);
