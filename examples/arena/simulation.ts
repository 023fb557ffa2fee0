/**
 * The arena's rules, apart from the room that hosts them: movement, shooting, hits, respawns and
 * the end condition, advanced one fixed step at a time. Deterministic for the same inputs; no timers,
 * no transport. The state it writes is the synced schema state.
 */
import { ARENA, type ArenaInput } from "./constants.ts";
import { ArenaBullet, ArenaPlayer, type ArenaState } from "./state.ts";
import { pickSpawn, separation, type Point } from "./spawn.ts";

interface Control {
  input: Omit<ArenaInput, "seq">;
  fireCooldownMs: number;
  ammoRegenMs: number;
}

interface BulletLife {
  shooter: string;
  ttlMs: number;
}

export type EndReason = "score-limit" | "time-limit";

export class ArenaSimulation {
  private readonly controls = new Map<string, Control>();
  private readonly bulletLife = new Map<string, BulletLife>();
  /** Server-side bots (matchmade seats the matcher or a no-show left empty). */
  private readonly bots = new Set<string>();
  private bulletSeq = 0;

  constructor(private readonly state: ArenaState, teamCount: number) {
    state.timeLimitMs = ARENA.timeLimitMs;
    state.scoreLimit = ARENA.scoreLimit;
    for (let i = 0; i < teamCount; i++) state.teamScores.push(0);
  }

  addPlayer(sessionId: string, identity: { playerId: string; name: string; team: number }): ArenaPlayer {
    const player = new ArenaPlayer();
    player.playerId = identity.playerId;
    player.name = identity.name;
    player.team = identity.team;
    player.ammo = ARENA.maxAmmo;
    player.hp = ARENA.maxHp;
    this.placeAtSpawn(player, sessionId);
    this.state.players.set(sessionId, player);
    this.controls.set(sessionId, { input: { x: 0, y: 0, aim: 0, fire: false }, fireCooldownMs: 0, ammoRegenMs: 0 });
    return player;
  }

  /** A bot on `team`: it seeks the nearest opponent and shoots at it (see `steerBots`). */
  addBot(id: string, team: number): ArenaPlayer {
    const bot = this.addPlayer(id, { playerId: id, name: `Bot ${this.bots.size + 1}`, team });
    this.bots.add(id);
    return bot;
  }

  isBot(id: string): boolean {
    return this.bots.has(id);
  }

  removePlayer(sessionId: string): void {
    this.state.players.delete(sessionId);
    this.controls.delete(sessionId);
  }

  /** Latest input wins; the stick is clamped to length 1 so no input moves faster than `speed`. */
  setInput(sessionId: string, input: ArenaInput): void {
    const control = this.controls.get(sessionId);
    const player = this.state.players.get(sessionId);
    if (!control || !player) return;
    const len = Math.hypot(input.x, input.y);
    const k = len > 1 ? 1 / len : 1;
    control.input = { x: input.x * k, y: input.y * k, aim: input.aim, fire: input.fire };
    player.lastSeq = input.seq;
  }

  /** Stop a player who disconnected (their seat stays; they stand still). */
  idle(sessionId: string): void {
    const control = this.controls.get(sessionId);
    if (control) control.input = { ...control.input, x: 0, y: 0, fire: false };
  }

  /** Advance one fixed step. Returns the end reason once the match is decided. */
  step(dtMs: number): EndReason | null {
    const dt = dtMs / 1000;
    this.state.elapsedMs += dtMs;
    if (this.bots.size) this.steerBots();
    for (const [sessionId, player] of this.state.players) {
      const control = this.controls.get(sessionId)!;
      if (player.respawnInMs > 0) {
        player.respawnInMs = Math.max(0, player.respawnInMs - dtMs);
        if (player.respawnInMs === 0) {
          player.hp = ARENA.maxHp;
          this.placeAtSpawn(player, sessionId);
        }
        continue;
      }
      player.x = clamp(player.x + control.input.x * ARENA.speed * dt, ARENA.playerRadius, ARENA.width - ARENA.playerRadius);
      player.y = clamp(player.y + control.input.y * ARENA.speed * dt, ARENA.playerRadius, ARENA.height - ARENA.playerRadius);
      player.aim = control.input.aim;

      control.fireCooldownMs = Math.max(0, control.fireCooldownMs - dtMs);
      if (player.ammo < ARENA.maxAmmo) {
        control.ammoRegenMs += dtMs;
        if (control.ammoRegenMs >= ARENA.ammoRegenMs) {
          control.ammoRegenMs -= ARENA.ammoRegenMs;
          player.ammo++;
        }
      } else {
        control.ammoRegenMs = 0;
      }
      if (control.input.fire && control.fireCooldownMs === 0 && player.ammo > 0) {
        this.fire(sessionId, player);
        control.fireCooldownMs = ARENA.fireCooldownMs;
        player.ammo--;
      }
    }
    this.moveBullets(dtMs, dt);
    return this.decided();
  }

  /** Simple bots: walk towards the nearest live opponent until in range, aim at it, shoot in range. */
  private steerBots(): void {
    for (const id of this.bots) {
      const bot = this.state.players.get(id);
      const control = this.controls.get(id);
      if (!bot || !control) continue;
      let target: ArenaPlayer | null = null;
      let best = Infinity;
      for (const p of this.state.players.values()) {
        if (p.team === bot.team || p.respawnInMs > 0) continue;
        const d = Math.hypot(p.x - bot.x, p.y - bot.y);
        if (d < best) { best = d; target = p; }
      }
      if (!target) {
        control.input = { x: 0, y: 0, aim: bot.aim, fire: false };
        continue;
      }
      const dx = target.x - bot.x, dy = target.y - bot.y;
      const aim = Math.atan2(dy, dx);
      const approach = best > 260 ? 1 : 0;
      // Keep apart from teammates on the way (they would otherwise merge on the same target).
      const mates: Point[] = [];
      for (const [mid, p] of this.state.players) if (mid !== id && p.team === bot.team && p.respawnInMs === 0) mates.push(p);
      const push = separation(bot, mates);
      const sx = approach * Math.cos(aim) + push.x, sy = approach * Math.sin(aim) + push.y;
      const k = Math.max(1, Math.hypot(sx, sy)); // a bot is no faster than a player
      control.input = { x: sx / k, y: sy / k, aim, fire: best < 420 };
    }
  }

  private fire(sessionId: string, player: ArenaPlayer): void {
    const bullet = new ArenaBullet();
    const dx = Math.cos(player.aim), dy = Math.sin(player.aim);
    bullet.x = player.x + dx * (ARENA.playerRadius + ARENA.bulletRadius + 1);
    bullet.y = player.y + dy * (ARENA.playerRadius + ARENA.bulletRadius + 1);
    bullet.vx = dx * ARENA.bulletSpeed;
    bullet.vy = dy * ARENA.bulletSpeed;
    bullet.team = player.team;
    const id = `b${++this.bulletSeq}`;
    this.state.bullets.set(id, bullet);
    this.bulletLife.set(id, { shooter: sessionId, ttlMs: ARENA.bulletLifetimeMs });
  }

  private moveBullets(dtMs: number, dt: number): void {
    const hitDistance = ARENA.playerRadius + ARENA.bulletRadius;
    for (const [id, bullet] of this.state.bullets) {
      const life = this.bulletLife.get(id)!;
      bullet.x += bullet.vx * dt;
      bullet.y += bullet.vy * dt;
      life.ttlMs -= dtMs;
      let gone = life.ttlMs <= 0 || bullet.x < 0 || bullet.y < 0 || bullet.x > ARENA.width || bullet.y > ARENA.height;
      if (!gone) {
        for (const [victimId, victim] of this.state.players) {
          if (victim.team === bullet.team || victim.respawnInMs > 0) continue;
          if (Math.hypot(victim.x - bullet.x, victim.y - bullet.y) > hitDistance) continue;
          gone = true;
          this.hit(life.shooter, victimId, victim);
          break;
        }
      }
      if (gone) {
        this.state.bullets.delete(id);
        this.bulletLife.delete(id);
      }
    }
  }

  private hit(shooterId: string, _victimId: string, victim: ArenaPlayer): void {
    victim.hp = Math.max(0, victim.hp - 1);
    if (victim.hp > 0) return;
    victim.respawnInMs = ARENA.respawnMs;
    const shooter = this.state.players.get(shooterId);
    if (shooter) {
      shooter.score++;
      this.state.teamScores[shooter.team] = (this.state.teamScores[shooter.team] ?? 0) + 1;
    }
  }

  private decided(): EndReason | null {
    for (const score of this.state.teamScores) if (score >= ARENA.scoreLimit) return "score-limit";
    if (this.state.elapsedMs >= ARENA.timeLimitMs) return "time-limit";
    return null;
  }

  /** The team's spawn slot farthest from every other live player (examples/arena/spawn.ts). */
  private placeAtSpawn(player: ArenaPlayer, sessionId: string): void {
    const occupied: Point[] = [];
    for (const [id, p] of this.state.players) if (id !== sessionId && p.respawnInMs === 0) occupied.push(p);
    const at = pickSpawn(player.team, Math.max(1, this.state.teamScores.length), occupied);
    player.x = at.x;
    player.y = at.y;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
