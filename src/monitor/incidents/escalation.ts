/**
 * Verifier escalation (docs/reference/monitor-core.md §1.9): ask every configured verifier about the
 * site at once, count who answered and who saw it down, and let rules.ts:escalationVerdict
 * decide. A verifier that fails or times out is left out of the count, never counted as a vote.
 */
import { randomBytes } from "node:crypto";
import { VERIFIER_TIMEOUT_HEADROOM_MS } from "../../veriflier/wire.ts";
import type { Verifier, VerifierReply, VerifierRequest } from "../ports.ts";
import { type EscalationVerdict, escalationVerdict, quorum } from "../rules.ts";
import { checkRequestFor, type Site } from "../sites.ts";
import type { IncidentObserver, VoteFigures } from "./telemetry.ts";

export interface EscalationInput {
  site: Site;
  verifiers: readonly Verifier[];
  netCommsTimeout: number;
  peerOfflineLimit: number;
  observer: IncidentObserver;
  /** Monotonic ms for RPC durations (default performance.now). */
  clock?: () => number;
}

export interface Escalation extends VoteFigures {
  verdict: EscalationVerdict;
  /** The answers, in the order they arrived. */
  replies: VerifierReply[];
}

/** Fans the check out to `verifiers` (at least one) and tallies the vote. */
export async function escalate(input: EscalationInput): Promise<Escalation> {
  const { site, verifiers, observer } = input;
  const clock = input.clock ?? (() => performance.now());
  const requestId = randomBytes(16).toString("hex");
  await observer.escalationSent(site.blogId, verifiers.length, requestId);
  const req: VerifierRequest = { ...checkRequestFor(site, input.netCommsTimeout), requestId };
  const deadlineMs = req.timeoutSeconds * 1000 + VERIFIER_TIMEOUT_HEADROOM_MS;
  const replies: VerifierReply[] = [];
  const answers: { source: string; reply: VerifierReply }[] = [];
  await Promise.all(
    verifiers.map(async (v) => {
      const started = clock();
      let reply: VerifierReply;
      try {
        reply = await v.check(req, deadlineMs);
      } catch (err) {
        observer.verifierFailed(v, clock() - started, site.blogId, err);
        return;
      }
      observer.verifierAnswered(v, clock() - started, reply);
      replies.push(reply);
      answers.push({ source: v.address, reply });
    }),
  );
  await observer.verifierReplies(site.blogId, requestId, answers);
  const healthy = replies.length;
  const confirmations = replies.filter((r) => !r.success).length;
  const figures = { quorum: quorum(input.peerOfflineLimit, healthy), healthy, confirmations };
  observer.tallied(figures);
  const verdict = escalationVerdict({
    configured: verifiers.length,
    healthy,
    confirmations,
    peerOfflineLimit: input.peerOfflineLimit,
  });
  return { ...figures, verdict, replies };
}
