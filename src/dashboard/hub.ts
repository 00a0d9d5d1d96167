/**
 * Fans host-state updates out to the dashboard's SSE clients (docs/reference/dashboard-fleethealth.md §1.1, §1.4): at most
 * `maxClients` (32) at once, each with a small buffer (16). A client whose buffer is full misses
 * that update rather than holding up the publisher or the other clients.
 */
import type { HostState } from "./state.ts";

export type NextUpdate = HostState | "keepalive" | "closed";

export interface HubClient {
  /** The next update; "keepalive" when `idleMs` passes without one; "closed" once closed or aborted. */
  next(idleMs: number, signal?: AbortSignal): Promise<NextUpdate>;
  /** Leaves the hub; idempotent. */
  close(): void;
  /** Updates this client missed because its buffer was full. */
  readonly dropped: number;
}

class Client implements HubClient {
  private readonly queue: HostState[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  dropped = 0;

  constructor(
    private readonly bufferSize: number,
    private readonly onClose: (c: Client) => void,
  ) {}

  offer(s: HostState): void {
    if (this.closed) return;
    if (this.queue.length >= this.bufferSize) {
      this.dropped++;
      return;
    }
    this.queue.push(s);
    this.wake?.();
  }

  async next(idleMs: number, signal?: AbortSignal): Promise<NextUpdate> {
    if (signal?.aborted) this.close();
    if (this.closed) return "closed";
    const queued = this.queue.shift();
    if (queued) return queued;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const timedOut = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(false);
        timer = setTimeout(() => resolve(true), idleMs);
      });
      if (this.closed) return "closed";
      return timedOut ? "keepalive" : (this.queue.shift() ?? "keepalive");
    } finally {
      clearTimeout(timer);
      this.wake = undefined;
      signal?.removeEventListener("abort", onAbort);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onClose(this);
    this.wake?.();
  }
}

export class DashboardHub {
  private readonly clients = new Set<Client>();
  private readonly maxClients: number;
  private readonly bufferSize: number;

  constructor(opts: { maxClients?: number; bufferSize?: number } = {}) {
    this.maxClients = opts.maxClients ?? 32;
    this.bufferSize = opts.bufferSize ?? 16;
  }

  /** Registers a client, or returns null when `maxClients` are already connected. */
  subscribe(): HubClient | null {
    if (this.clients.size >= this.maxClients) return null;
    const c = new Client(this.bufferSize, (gone) => this.clients.delete(gone));
    this.clients.add(c);
    return c;
  }

  /** Hands the update to every client without waiting for any of them. */
  publish(state: HostState): void {
    for (const c of this.clients) c.offer(state);
  }

  get clientCount(): number {
    return this.clients.size;
  }
}
