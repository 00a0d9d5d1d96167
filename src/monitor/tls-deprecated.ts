/**
 * The deprecated-TLS advisory: a site that negotiates TLS 1.0/1.1 gets a `tls_deprecated` event
 * (severity and state Warning) that closes once it negotiates TLS 1.2 or later. It is advice,
 * never downtime: it runs beside the http lifecycle and touches no retry queue, verifier,
 * legacy site_status or WPCOM notification.
 */
import { isDeprecatedTls } from "../check/tls-probe.ts";
import type { CheckResult } from "../check/types.ts";
import type { Db } from "../db/client.ts";
import { errorText } from "../error-text.ts";
import {
  CheckType,
  closeEvent,
  EventClosedError,
  EventNotFoundError,
  openEvent,
  ResolutionReason,
  Severity,
  State,
} from "../events/index.ts";
import type { Logger } from "../log.ts";

export type TlsAdvice = "open" | "close" | "none";

/**
 * What one result says about the advisory. Only a result that negotiated TLS (its version is
 * known) counts: a failed connection or plain HTTP says nothing, so an open advisory stays open.
 */
export function tlsDeprecatedAdvice(open: boolean, res: Pick<CheckResult, "tlsVersion">): TlsAdvice {
  if (!res.tlsVersion) return "none";
  const deprecated = isDeprecatedTls(res.tlsVersion);
  if (deprecated && !open) return "open";
  if (!deprecated && open) return "close";
  return "none";
}

export interface TlsDeprecatedDeps {
  db: Db;
  hostname: string;
  log: Logger;
}

export class TlsDeprecatedAdvisory {
  /** blog id -> open advisory event id. */
  private readonly open = new Map<number, number>();

  constructor(private readonly d: TlsDeprecatedDeps) {}

  seed(events: readonly { blogId: number; id: number; checkType: string }[]): void {
    for (const e of events) {
      if (e.checkType === CheckType.TlsDeprecated && !this.open.has(e.blogId)) this.open.set(e.blogId, e.id);
    }
  }

  forget(blogId: number): void {
    this.open.delete(blogId);
  }

  /** Opens or closes the advisory as the result says. A failed write is retried at the next check. */
  async observe(blogId: number, res: CheckResult): Promise<void> {
    const eventId = this.open.get(blogId);
    const advice = tlsDeprecatedAdvice(eventId !== undefined, res);
    if (advice === "none") return;
    try {
      if (advice === "open") {
        const r = await openEvent(this.d.db, {
          blogId,
          checkType: CheckType.TlsDeprecated,
          severity: Severity.Warning,
          state: State.Warning,
          source: this.d.hostname,
          metadata: {
            tls_version: res.tlsVersion,
            tls_cipher: res.tlsCipher ?? "",
            error_code: res.errorCode,
            http_code: res.httpCode,
          },
        });
        this.open.set(blogId, r.eventId);
        if (r.opened) {
          this.d.log.info(
            { blog_id: blogId, event_id: r.eventId, tls_version: res.tlsVersion },
            "tls deprecated advisory opened",
          );
        }
        return;
      }
      if (eventId === undefined) return; // "close" is advised only for an open advisory
      await closeEvent(this.d.db, eventId, {
        reason: ResolutionReason.ProbeCleared,
        source: this.d.hostname,
        metadata: { tls_version: res.tlsVersion, tls_cipher: res.tlsCipher ?? "" },
      });
      this.open.delete(blogId);
      this.d.log.info(
        { blog_id: blogId, event_id: eventId, tls_version: res.tlsVersion },
        "tls deprecated advisory closed",
      );
    } catch (err) {
      if (err instanceof EventClosedError || err instanceof EventNotFoundError) {
        this.open.delete(blogId); // closed elsewhere: nothing left to close
        return;
      }
      this.d.log.error({ blog_id: blogId, err: errorText(err) }, `tls deprecated advisory ${advice} failed`);
    }
  }
}
