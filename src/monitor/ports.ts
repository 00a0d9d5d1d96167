/**
 * What the monitor needs from its collaborators, as small interfaces so tests and the CLI can
 * pass real implementations (or in-process fakes of remote services) in.
 */
import type { VerifierReply, VerifierRequest } from "../veriflier/wire.ts";
import type { NotifyOutcome, WpcomState } from "../wpcom/client.ts";
import type { WpcomNotification } from "../wpcom/payload.ts";

/** One site sent to a verifier and its answer (docs/reference/monitor-core.md §5.1): the wire's pair. */
export type { VerifierReply, VerifierRequest } from "../veriflier/wire.ts";

export interface Verifier {
  /** Display name (config `name`, or host:port). */
  name: string;
  /** `host:port`: the audit source and the metric segment. */
  address: string;
  /** Rejects on transport errors, non-200 answers and timeouts (`timeoutMs` bounds the call). */
  check(req: VerifierRequest, timeoutMs: number): Promise<VerifierReply>;
}

export interface Notifier {
  notify(n: WpcomNotification): Promise<NotifyOutcome>;
  flush(): Promise<void>;
  state(): WpcomState;
}
