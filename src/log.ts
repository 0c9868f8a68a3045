/**
 * Structured JSON logging (pino). Components take a child logger named after themselves and
 * attach the Matrix identifiers they work on (`room_id`, `event_id`, `origin`, `txn_id`) as
 * fields, never interpolated into the message, so operators can filter on them.
 */
import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

const root: Logger = pino({
  level: process.env.CONFLUX_LOG_LEVEL ?? "info",
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
});

export function setLogLevel(level: LevelWithSilent): void {
  root.level = level;
}

/** A logger for one component, e.g. `logger("federation.send")`. */
export function logger(component: string, fields: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...fields });
}
