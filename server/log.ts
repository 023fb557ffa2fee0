import { pino, type Logger } from "pino";

export type { Logger };

/** One JSON line per event on stdout. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}
