import { pino, type Logger } from "pino";

export type { Logger };

/** One JSON line per event on stdout. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}

/**
 * A warning that can repeat many times a second (a reconnecting client's errors during an outage):
 * the first of each message is logged at once, repeats within `windowMs` are counted and reported in
 * one line when the window ends, so an outage costs a few structured lines instead of a flood.
 */
export function throttledWarn(logger: Logger, msg: string, windowMs = 10_000, now: () => number = Date.now): (err: Error) => void {
  const seen = new Map<string, { at: number; repeats: number }>();
  return (err) => {
    const key = err.message;
    const t = now();
    const last = seen.get(key);
    if (last && t - last.at < windowMs) {
      last.repeats++;
      return;
    }
    const repeats = last?.repeats ?? 0;
    seen.set(key, { at: t, repeats: 0 });
    if (seen.size > 100) seen.delete(seen.keys().next().value!);
    logger.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code }, ...(repeats ? { repeats } : {}) }, msg);
  };
}
