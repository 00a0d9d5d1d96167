import { sql } from "drizzle-orm";
import type { BucketRange } from "../config/validate.ts";
import type { Db } from "../db/client.ts";
import { isRetryableLockError } from "../db/errors.ts";
import { run, selectRows } from "../db/sql.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import { STORED_EMPTY_RANGE } from "./coverage.ts";
import {
  assignBucketRanges,
  claimableRange,
  countBuckets,
  EMPTY_RANGE,
  formatRanges,
  isEmptyRange,
  uncoveredRanges,
} from "./waterfill.ts";

export interface OwnershipConfig {
  BUCKET_TOTAL: number;
  BUCKET_TARGET: number;
  BUCKET_HEARTBEAT_GRACE_SEC: number;
  /** The effective pinned range (PINNED_BUCKET_* or the legacy BUCKET_NO_*), null in dynamic mode. */
  pinned: BucketRange | null;
}

export interface Ownership {
  mode: "pinned" | "dynamic";
  range: BucketRange;
  /** `pinned range=<min>-<max>` or `dynamic jetmon_hosts` (the dashboard/fleet label). */
  label: string;
  total: number;
  /**
   * Buckets no live active host covers, from jetmon_hosts (dynamic mode). Null in pinned mode,
   * where pinned hosts keep no rows and coverage is the rollout plan's business.
   */
  uncovered: BucketRange[] | null;
  /** Live active hosts sharing the buckets, this one included (dynamic mode). */
  hosts: number;
  /**
   * Dynamic mode: the water-fill gave this host more than it could take, because a live peer's
   * row still holds part of it (the peer gives it up at its own next claim). Claim again soon.
   */
  blocked: boolean;
  /**
   * Dynamic mode: ms until the earliest peer row passes the grace and may be deleted (its
   * buckets taken), from MySQL's clock; null when there is no peer. A dead host's buckets move
   * as soon as a peer claims after this, so the monitor schedules a claim for that moment.
   */
  peerExpiresInMs: number | null;
}

export function ownershipLabel(pinned: BucketRange | null): string {
  return pinned ? `pinned range=${pinned.min}-${pinned.max}` : "dynamic jetmon_hosts";
}

interface HostRow {
  host_id: string;
  bucket_min: number;
  bucket_max: number;
  status: string;
  fresh: number;
  /** Seconds until the row is older than the grace (negative once past). */
  expires_in: number;
}

/**
 * Claims this host's buckets. Pinned mode reads the range from config and never touches
 * jetmon_hosts. Dynamic mode runs one transaction: expire peers whose heartbeat is older than
 * the grace, lock the table's rows, water-fill over the live active hosts, and upsert ONLY this
 * host's row (heartbeat, range, active). Upstream refreshed every peer's heartbeat there, so a
 * crashed host never expired (docs/design.md defect 2); here each host keeps only itself alive.
 * Since a peer adopts a new assignment only at its own next claim, a host takes only the part
 * of its share that no live active peer's row still holds (claimableRange): the table never
 * has a bucket in two rows. `blocked` and `peerExpiresInMs` tell the monitor when to claim
 * again early (claim-pacer.ts).
 */
export class BucketOwner {
  private owned: Ownership | null = null;
  private hasRow = false;
  private lastUncoveredText: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly hostId: string,
    private readonly log: Logger,
  ) {}

  current(): Ownership | null {
    return this.owned;
  }

  async claim(cfg: OwnershipConfig): Promise<Ownership> {
    const prev = this.owned;
    const next = cfg.pinned ? await this.claimPinned(cfg, cfg.pinned) : await this.claimDynamic(cfg);
    this.owned = next;
    if (
      !prev ||
      prev.range.min !== next.range.min ||
      prev.range.max !== next.range.max ||
      prev.mode !== next.mode
    ) {
      this.log.info(
        { mode: next.mode, bucket_min: next.range.min, bucket_max: next.range.max, hosts: next.hosts },
        "bucket range claimed",
      );
    }
    this.reportUncovered(next);
    return next;
  }

  private async claimPinned(cfg: OwnershipConfig, pinned: BucketRange): Promise<Ownership> {
    if (this.hasRow) {
      // Switched from dynamic to pinned by a reload: give the buckets back at once rather than
      // leaving a row for peers to expire after the grace.
      await this.release();
    }
    return {
      mode: "pinned",
      range: pinned,
      label: ownershipLabel(pinned),
      total: cfg.BUCKET_TOTAL,
      uncovered: null,
      hosts: 1,
      blocked: false,
      peerExpiresInMs: null,
    };
  }

  private async claimDynamic(cfg: OwnershipConfig): Promise<Ownership> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.claimDynamicOnce(cfg);
      } catch (err) {
        if (!isRetryableLockError(err) || attempt >= 5) throw err;
        this.log.debug({ attempt, err: errorText(err) }, "bucket claim retried after lock conflict");
        await Bun.sleep(20 * attempt + Math.floor(Math.random() * 30));
      }
    }
  }

  private async claimDynamicOnce(cfg: OwnershipConfig): Promise<Ownership> {
    const grace = Math.max(1, Math.floor(cfg.BUCKET_HEARTBEAT_GRACE_SEC));
    const prev = this.owned?.mode === "dynamic" ? this.owned.range : null;
    // REPEATABLE READ whatever the server default: the locking read below then also locks the
    // gaps, so a new host's INSERT waits for a claim under way and two claims never interleave.
    const result = await this.db.transaction(
      async (tx) => {
        await run(
          tx,
          sql`DELETE FROM jetmon_hosts WHERE last_heartbeat < NOW() - INTERVAL ${grace} SECOND AND host_id <> ${this.hostId}`,
        );
        // A peer whose monitor said `stopping`/`stopped` after its last bucket heartbeat has gone
        // (its own release never reached MySQL): its buckets are free now, not after the grace.
        const released = await run(
          tx,
          sql`DELETE h FROM jetmon_hosts h
              JOIN jetmon_process_health p ON p.host_id = h.host_id AND p.process_type = 'monitor'
              WHERE h.host_id <> ${this.hostId} AND p.state IN ('stopping', 'stopped')
                AND p.updated_at > h.last_heartbeat`,
        );
        if (released.affectedRows > 0) {
          this.log.info({ released: released.affectedRows }, "released bucket rows of stopped peers");
        }
        const rows = await selectRows<HostRow>(
          tx,
          sql`SELECT host_id, bucket_min, bucket_max, status,
                     (last_heartbeat >= NOW() - INTERVAL ${grace} SECOND) AS fresh,
                     ${grace} - TIMESTAMPDIFF(SECOND, last_heartbeat, NOW()) AS expires_in
              FROM jetmon_hosts ORDER BY host_id FOR UPDATE`,
        );
        const peers = rows.filter((r) => r.host_id !== this.hostId);
        const members = [this.hostId, ...peers.filter((r) => r.status === "active").map((r) => r.host_id)];
        const assignment = assignBucketRanges(members, cfg.BUCKET_TOTAL, cfg.BUCKET_TARGET);
        const want = assignment.get(this.hostId) ?? EMPTY_RANGE;
        // Take only what no live active peer's row holds: a peer leaving buckets gives them up at
        // its own next claim, and only then may this host have them (0 double ownership).
        const held = peers
          .filter((r) => r.status === "active")
          .map((r) => ({ min: Number(r.bucket_min), max: Number(r.bucket_max) }));
        const mine = claimableRange(want, held, prev);
        const stored = isEmptyRange(mine) ? STORED_EMPTY_RANGE : mine;
        await run(
          tx,
          sql`INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status)
              VALUES (${this.hostId}, ${stored.min}, ${stored.max}, NOW(), 'active')
              ON DUPLICATE KEY UPDATE bucket_min = VALUES(bucket_min), bucket_max = VALUES(bucket_max),
                last_heartbeat = NOW(), status = 'active'`,
        );
        // Coverage as the table stands now: this host's new range plus every live active peer's
        // current row. Peers adopt the new assignment at their next claim, so a short gap while
        // hosts join or leave is expected (never an overlap).
        const covered: BucketRange[] = [mine];
        for (const r of peers) {
          if (r.status !== "active" || !Number(r.fresh)) continue;
          covered.push({ min: Number(r.bucket_min), max: Number(r.bucket_max) });
        }
        const expiries = peers.map((r) => Number(r.expires_in));
        return {
          mine,
          blocked: countBuckets([want]) > countBuckets([mine]),
          peerExpiresInMs: expiries.length ? Math.max(0, Math.min(...expiries)) * 1000 : null,
          members: members.length,
          uncovered: uncoveredRanges(covered, cfg.BUCKET_TOTAL),
        };
      },
      { isolationLevel: "repeatable read" },
    );
    this.hasRow = true;
    return {
      mode: "dynamic",
      range: result.mine,
      label: ownershipLabel(null),
      total: cfg.BUCKET_TOTAL,
      uncovered: result.uncovered,
      hosts: result.members,
      blocked: result.blocked,
      peerExpiresInMs: result.peerExpiresInMs,
    };
  }

  private reportUncovered(o: Ownership): void {
    const text = o.uncovered ? formatRanges(o.uncovered) : "";
    if (text === this.lastUncoveredText) return;
    this.lastUncoveredText = text;
    if (text) {
      this.log.warn(
        { uncovered: text, bucket_total: o.total, hosts: o.hosts },
        "buckets not covered by any live host",
      );
    } else if (o.uncovered) {
      this.log.info({ bucket_total: o.total, hosts: o.hosts }, "all buckets covered");
    }
  }

  /** Dynamic mode: marks this host's row draining so peers leave it out of the next water-fill. */
  async markDraining(): Promise<void> {
    if (!this.hasRow) return;
    await run(
      this.db,
      sql`UPDATE jetmon_hosts SET status = 'draining', last_heartbeat = NOW() WHERE host_id = ${this.hostId}`,
    );
  }

  /** Dynamic mode: deletes this host's row so peers take its buckets at their next claim. */
  async release(): Promise<void> {
    if (!this.hasRow) return;
    await run(this.db, sql`DELETE FROM jetmon_hosts WHERE host_id = ${this.hostId}`);
    this.hasRow = false;
  }
}
