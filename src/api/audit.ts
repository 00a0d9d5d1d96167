/**
 * The `api_access` row every authenticated request writes (docs/reference/cli-rollout-api.md §3.7):
 * blog_id/event_id NULL, source = consumer (`unknown` without a key), detail `<METHOD> <path>`,
 * metadata {key_id, consumer, method, path, status, duration_ms, request_id, remote_addr, note}.
 * Written before the response leaves, bounded to 5 s; a failure is logged, never answered.
 */
import type { Db } from "../db/client.ts";
import { errorText } from "../error-text.ts";
import { AuditEventType, writeAudit } from "../events/index.ts";
import type { Logger } from "../log.ts";
import { withTimeout } from "../timeout.ts";

export interface ApiAccess {
  keyId: number | null;
  consumer: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  requestId: string;
  remoteAddr: string;
  note: string;
}

export const AUDIT_TIMEOUT_MS = 5000;

export async function writeApiAccess(db: Db, log: Logger, a: ApiAccess): Promise<void> {
  try {
    await withTimeout(
      AUDIT_TIMEOUT_MS,
      writeAudit(db, {
        eventType: AuditEventType.ApiAccess,
        source: a.consumer || "unknown",
        detail: `${a.method} ${a.path}`.slice(0, 1024),
        metadata: {
          key_id: a.keyId ?? 0,
          consumer: a.consumer,
          method: a.method,
          path: a.path,
          status: a.status,
          duration_ms: a.durationMs,
          request_id: a.requestId,
          remote_addr: a.remoteAddr,
          note: a.note,
        },
      }),
    );
  } catch (err) {
    log.warn({ err: errorText(err), request_id: a.requestId }, "api audit write failed");
  }
}
