/**
 * A five-field cron matcher (minute hour day-of-month month day-of-week, UTC) for scheduled peaks.
 * Supports `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, and lists `a,b`. Pure: the time is passed in.
 */

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day-of-week", min: 0, max: 7 },
] as const;

export interface CronExpr {
  readonly source: string;
  readonly sets: readonly ReadonlySet<number>[];
  /** Day-of-month and day-of-week both restricted: cron matches either (classic Vixie rule). */
  readonly domStar: boolean;
  readonly dowStar: boolean;
}

export class CronError extends Error {
  constructor(expr: string, detail: string) {
    super(`invalid cron "${expr}": ${detail}`);
    this.name = "CronError";
  }
}

export function parseCron(source: string): CronExpr {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(source, "expected 5 fields (minute hour day month weekday)");
  const sets = parts.map((part, i) => {
    const { name, min, max } = FIELDS[i];
    const set = new Set<number>();
    for (const item of part.split(",")) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) throw new CronError(source, `bad ${name} "${item}"`);
      const lo = m[1] === "*" ? min : Number(m[2]);
      const hi = m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
      const step = m[4] !== undefined ? Number(m[4]) : 1;
      if (lo < min || hi > max || lo > hi || step < 1) throw new CronError(source, `${name} "${item}" out of ${min}-${max}`);
      for (let v = lo; v <= hi; v += step) set.add(i === 4 && v === 7 ? 0 : v);
    }
    return set;
  });
  return { source, sets, domStar: parts[2] === "*", dowStar: parts[4] === "*" };
}

export function cronMatches(expr: CronExpr, epochMs: number): boolean {
  const d = new Date(epochMs);
  const [mi, h, dom, mon, dow] = expr.sets;
  if (!mi.has(d.getUTCMinutes()) || !h.has(d.getUTCHours()) || !mon.has(d.getUTCMonth() + 1)) return false;
  const domOk = dom.has(d.getUTCDate());
  const dowOk = dow.has(d.getUTCDay());
  if (!expr.domStar && !expr.dowStar) return domOk || dowOk;
  return domOk && dowOk;
}

/** True when some minute in [from, to] matches (minute resolution). */
export function cronFiresWithin(expr: CronExpr, from: number, to: number): boolean {
  const start = Math.floor(from / 60_000) * 60_000;
  for (let t = start; t <= to; t += 60_000) if (t >= from - 59_999 && cronMatches(expr, t)) return true;
  return false;
}
