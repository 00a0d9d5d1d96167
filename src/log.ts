import pino from "pino";
import { hostIdentity } from "./host-identity.ts";
import { VERSION } from "./version.ts";

/**
 * The one module-level singleton: a pino logger writing JSON lines to stdout.
 * No transport: transports spawn worker threads that cannot resolve inside a
 * compiled binary (docs/reference/stack-notes.md §B.7).
 */
export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; dest?: number | string; name?: string } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.JETMON_LOG_LEVEL ?? "info",
      // Every line says which host and which build wrote it, so fleet logs can be merged.
      base: {
        pid: process.pid,
        hostname: hostIdentity(process.env),
        version: VERSION,
        ...(opts.name ? { name: opts.name } : {}),
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: opts.dest ?? 1, sync: true }),
  );
}

export const log: Logger = createLogger();

/** A logger that drops everything, for tests that do not read logs. */
export const silentLogger: Logger = pino({ level: "silent" });
