/**
 * The per-instance high-water mark over `jetmon_event_transitions.id` (docs/reference/deliverer.md §3.6). A new
 * instance starts at the newest transition, so a host taking over delivery does not replay
 * history (docs/design.md defect 8), unless `DELIVERY_REPLAY_FROM` names where to resume.
 */
import { sql } from "drizzle-orm";
import { type Executor, run, selectRows } from "../db/sql.ts";
import type { Logger } from "../log.ts";
import type { KindTables } from "./kinds.ts";

export async function readProgress(ex: Executor, t: KindTables, instanceId: string, forUpdate = false) {
  const rows = await selectRows<{ last_transition_id: number }>(
    ex,
    sql`SELECT last_transition_id FROM ${sql.raw(t.progress)} WHERE instance_id = ${instanceId}${
      forUpdate ? sql` FOR UPDATE` : sql``
    }`,
  );
  return rows[0] ? Number(rows[0].last_transition_id) : null;
}

/**
 * Makes sure the instance has a progress row and returns its mark. A missing row is created
 * at `replayFrom` (resume after that transition id; 0 replays all history) when given, else at
 * the current maximum transition id. Logged either way, so an operator can see where a new
 * host started.
 */
export async function ensureProgress(
  ex: Executor,
  t: KindTables,
  instanceId: string,
  replayFrom: number | null,
  log: Logger,
): Promise<number> {
  const existing = await readProgress(ex, t, instanceId);
  if (existing !== null) {
    if (replayFrom !== null) {
      log.info(
        {
          kind: t.kind,
          instance_id: instanceId,
          last_transition_id: existing,
          delivery_replay_from: replayFrom,
        },
        `${t.logPrefix}: DELIVERY_REPLAY_FROM ignored, instance already has progress`,
      );
    }
    return existing;
  }
  let mark: number;
  let from: string;
  if (replayFrom !== null) {
    mark = replayFrom;
    from = "DELIVERY_REPLAY_FROM";
  } else {
    const rows = await selectRows<{ m: number | null }>(
      ex,
      sql`SELECT MAX(id) AS m FROM jetmon_event_transitions`,
    );
    mark = Number(rows[0]?.m ?? 0);
    from = "current_max";
  }
  // A concurrent starter with the same instance id may win; its row stands.
  await run(
    ex,
    sql`INSERT INTO ${sql.raw(t.progress)} (instance_id, last_transition_id) VALUES (${instanceId}, ${mark})
        ON DUPLICATE KEY UPDATE instance_id = instance_id`,
  );
  const now = (await readProgress(ex, t, instanceId)) ?? mark;
  log.info(
    { kind: t.kind, instance_id: instanceId, last_transition_id: now, from },
    `${t.logPrefix}: dispatch progress initialised`,
  );
  return now;
}
