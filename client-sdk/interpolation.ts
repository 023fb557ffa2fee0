/**
 * Snapshot interpolation for remote entities. The server sends state at its patch rate (20 Hz by
 * default); drawing remote players where the last patch put them looks jumpy, so we render them a bit
 * in the past (`delayMs`, about two patches) and blend linearly between the two snapshots around that
 * time. Your own player should not go through this: it would feel 100 ms late.
 */

export interface Sample {
  x: number;
  y: number;
  /** Radians; blended along the shortest arc. */
  angle?: number;
}

interface Snapshot extends Sample {
  t: number;
}

export interface InterpolatorOptions {
  /** How far in the past to render, in ms. Default 100. */
  delayMs?: number;
  /** Snapshots older than this (relative to the newest) are dropped. Default 1000. */
  keepMs?: number;
  /** Clock in ms; defaults to performance.now(). Injectable for tests. */
  now?: () => number;
}

export class Interpolator {
  readonly delayMs: number;
  private readonly keepMs: number;
  private readonly now: () => number;
  private readonly buffers = new Map<string, Snapshot[]>();

  constructor(options: InterpolatorOptions = {}) {
    this.delayMs = options.delayMs ?? 100;
    this.keepMs = Math.max(options.keepMs ?? 1000, this.delayMs * 2);
    this.now = options.now ?? (() => performance.now());
  }

  /** Record where an entity was at time `t` (defaults to now, i.e. when the patch arrived). */
  push(id: string, sample: Sample, t: number = this.now()): void {
    let buffer = this.buffers.get(id);
    if (!buffer) this.buffers.set(id, (buffer = []));
    const last = buffer[buffer.length - 1];
    if (last && t < last.t) return; // out of order: ignore rather than rewind
    if (last && t === last.t) buffer.pop();
    buffer.push({ ...sample, t });
    const oldest = t - this.keepMs;
    // Keep one snapshot older than the cutoff so there is always a left edge to blend from.
    while (buffer.length > 2 && buffer[1]!.t < oldest) buffer.shift();
  }

  /** Where to draw the entity at time `t` (defaults to now); undefined when it has no snapshots. */
  sample(id: string, t: number = this.now()): Sample | undefined {
    const buffer = this.buffers.get(id);
    if (!buffer || buffer.length === 0) return undefined;
    const renderAt = t - this.delayMs;
    const first = buffer[0]!;
    if (renderAt <= first.t) return strip(first);
    for (let i = buffer.length - 1; i > 0; i--) {
      const a = buffer[i - 1]!, b = buffer[i]!;
      if (renderAt >= a.t && renderAt <= b.t) {
        const k = b.t === a.t ? 1 : (renderAt - a.t) / (b.t - a.t);
        return {
          x: a.x + (b.x - a.x) * k,
          y: a.y + (b.y - a.y) * k,
          ...(a.angle !== undefined && b.angle !== undefined ? { angle: lerpAngle(a.angle, b.angle, k) } : {}),
        };
      }
    }
    // Newer than every snapshot (a late patch): hold the newest rather than guess.
    return strip(buffer[buffer.length - 1]!);
  }

  /** Forget an entity (it left or died). */
  remove(id: string): void {
    this.buffers.delete(id);
  }

  /** Forget every entity not in `ids`. */
  retain(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.buffers.keys()) if (!keep.has(id)) this.buffers.delete(id);
  }

  /** Drop everything, e.g. after a reconnect: old snapshots would blend across the gap. */
  clear(): void {
    this.buffers.clear();
  }
}

function strip(s: Snapshot): Sample {
  return s.angle === undefined ? { x: s.x, y: s.y } : { x: s.x, y: s.y, angle: s.angle };
}

function lerpAngle(a: number, b: number, k: number): number {
  let d = (b - a) % (Math.PI * 2);
  if (d > Math.PI) d -= Math.PI * 2;
  if (d < -Math.PI) d += Math.PI * 2;
  return a + d * k;
}
