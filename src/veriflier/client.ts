import { classifyError, errorFacts } from "../check/classify.ts";
import { errorText } from "../error-text.ts";
import {
  decodeCheckResponse,
  decodeStatus,
  fromWireResult,
  toWireRequest,
  VERIFIER_TIMEOUT_HEADROOM_MS,
  type VerifierReply,
  type VerifierRequest,
  type WireCheckBody,
} from "./wire.ts";

const DEFAULT_SITE_TIMEOUT_SECONDS = 10;
const DEFAULT_PING_TIMEOUT_MS = 2000;

export type VeriflierErrorKind = "status" | "decode" | "timeout" | "network" | "empty";

export class VeriflierError extends Error {
  constructor(
    message: string,
    readonly kind: VeriflierErrorKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = "VeriflierError";
  }
}

/** 16 random bytes as 32 lowercase hex characters. */
export function newRequestId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
}

export interface VeriflierClientOptions {
  host: string;
  port: number;
  token: string;
  fetch?: typeof fetch;
  /** Added to the site timeout for a /check round trip; default 5 s. */
  timeoutMarginSeconds?: number;
}

/** Talks to one remote verifier (docs/reference/monitor-core.md §5.2). */
export class VeriflierClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: VeriflierClientOptions) {
    const host = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
    this.base = `http://${host}:${opts.port}`;
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** "host:port", as configured. */
  addr(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  /**
   * Asks the verifier to check `sites`; resolves with one result per site in order. The
   * round trip may take `timeoutSec` (the site timeout; <= 0 means 10) plus 5 s.
   * Rejects with a VeriflierError on timeout, transport failure, non-200 or a bad body.
   */
  async check(sites: VerifierRequest[], timeoutSec: number): Promise<VerifierReply[]> {
    if (sites.length === 0) return [];
    const body: WireCheckBody = {
      sites: sites.map((s) => toWireRequest(s, s.requestId || newRequestId())),
    };
    const margin = this.opts.timeoutMarginSeconds ?? VERIFIER_TIMEOUT_HEADROOM_MS / 1000;
    const seconds = (timeoutSec > 0 ? timeoutSec : DEFAULT_SITE_TIMEOUT_SECONDS) + margin;
    const { res, signal } = await this.request(
      "/check",
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.opts.token}` },
        body: JSON.stringify(body),
      },
      seconds * 1000,
    );
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new VeriflierError(`veriflier returned ${res.status}`, "status", res.status);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.transportError(err, signal, seconds * 1000);
    }
    try {
      return decodeCheckResponse(text).map(fromWireResult);
    } catch (err) {
      throw new VeriflierError(`veriflier decode: ${errorText(err)}`, "decode");
    }
  }

  /** One site; rejects when the verifier returned no result. */
  async checkOne(site: VerifierRequest, timeoutSec: number): Promise<VerifierReply> {
    const [first] = await this.check([site], timeoutSec);
    if (!first) throw new VeriflierError("veriflier returned no results", "empty");
    return first;
  }

  /** GET /status; resolves with the verifier's version ("" if it sent none). */
  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<string> {
    const { res, signal } = await this.request("/status", { method: "GET" }, timeoutMs);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new VeriflierError(`veriflier status returned ${res.status}`, "status", res.status);
    }
    try {
      return decodeStatus(await res.text()).version;
    } catch (err) {
      throw this.transportError(err, signal, timeoutMs);
    }
  }

  private async request(
    path: string,
    init: RequestInit,
    timeoutMs: number,
  ): Promise<{ res: Response; signal: AbortSignal }> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      return { res: await this.fetchFn(this.base + path, { ...init, signal }), signal };
    } catch (err) {
      throw this.transportError(err, signal, timeoutMs);
    }
  }

  private transportError(err: unknown, signal: AbortSignal, timeoutMs: number): VeriflierError {
    if (signal.aborted) return new VeriflierError(`veriflier timed out after ${timeoutMs} ms`, "timeout");
    const { detail } = classifyError(errorFacts(err));
    return new VeriflierError(`veriflier request failed: ${detail}`, "network");
  }
}
