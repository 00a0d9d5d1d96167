/**
 * `jetmon2 audit --blog-id <id> [--since <time>] [--until <time>]` (reference cli-rollout-api
 * docs/reference/cli-rollout-api.md §1.7): a blog's jetmon_audit_log rows, oldest first. `--since` takes a Go duration (now minus
 * it) or a time passed to MySQL as written. Times print in UTC, the database session's zone
 * (Go prints local time: docs/compatibility.md). API access rows have no blog_id and never show.
 */
import { sql } from "drizzle-orm";
import { readDbTime, selectRows } from "../db/sql.ts";
import { errorText } from "../error-text.ts";
import { FlagError, HelpRequested, parseFlags } from "../rollout/flags.ts";
import { parseGoDuration } from "../time.ts";
import { UsageError } from "../usage-error.ts";
import type { Command } from "./context.ts";
import { openCommandDb } from "./db-command.ts";

export const AUDIT_USAGE = "usage: jetmon2 audit --blog-id <id> [--since <time>] [--until <time>]";

interface AuditRow {
  created_at: unknown;
  event_type: string;
  source: string;
  event_id: number | null;
  detail: string | null;
  metadata: unknown;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
const sqlTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

/** One output line: timestamp (25), event (22), source (15), detail. */
export function auditLine(r: AuditRow): string {
  const at = readDbTime(r.created_at);
  const stamp = at ? at.toISOString().slice(0, 23).replace("T", " ") : "";
  let detail = r.event_id ? `event=${r.event_id} ${r.detail ?? ""}` : (r.detail ?? "");
  const meta =
    r.metadata === null || r.metadata === undefined
      ? ""
      : typeof r.metadata === "string"
        ? r.metadata
        : JSON.stringify(r.metadata);
  if (meta !== "") detail += ` meta=${meta}`;
  return `${stamp.padEnd(25)} ${r.event_type.padEnd(22)} ${r.source.padEnd(15)} ${detail}`;
}

export function createAuditCommand(
  deps: { sleep?: (ms: number) => Promise<void>; now?: () => number } = {},
): Command {
  return async (ctx) => {
    let parsed: ReturnType<typeof parseFlags>;
    try {
      parsed = parseFlags(
        [
          { name: "blog-id", kind: "int", default: 0, help: "blog id (required)" },
          { name: "since", kind: "string", default: "", help: "Go duration back from now, or a time" },
          { name: "until", kind: "string", default: "", help: "a time" },
        ],
        ctx.args,
      );
    } catch (err) {
      if (err instanceof FlagError || err instanceof HelpRequested)
        throw new UsageError(err.message || AUDIT_USAGE);
      throw err;
    }
    const blogId = Number(parsed.values.get("blog-id"));
    if (!blogId) {
      ctx.err(AUDIT_USAGE);
      return 1;
    }
    const sinceRaw = String(parsed.values.get("since"));
    const until = String(parsed.values.get("until"));
    const back = sinceRaw ? parseGoDuration(sinceRaw) : undefined;
    const since = back !== undefined ? sqlTime((deps.now ?? Date.now)() - back) : sinceRaw;
    const opened = await openCommandDb(ctx, { sleep: deps.sleep });
    if (!opened) return 1;
    try {
      const rows = await selectRows<AuditRow>(
        opened.db,
        sql`SELECT created_at, event_type, source, event_id, detail, metadata FROM jetmon_audit_log
            WHERE blog_id = ${blogId} ${since ? sql`AND created_at >= ${since}` : sql``}
            ${until ? sql`AND created_at <= ${until}` : sql``}
            ORDER BY created_at ASC, id ASC`,
      );
      ctx.out(`Audit log for blog_id=${blogId}`);
      ctx.out(`${"TIMESTAMP".padEnd(25)} ${"EVENT".padEnd(22)} ${"SOURCE".padEnd(15)} DETAIL`);
      ctx.out("-".repeat(90));
      for (const r of rows) ctx.out(auditLine(r));
      return 0;
    } catch (err) {
      ctx.err(`audit: ${errorText(err)}`);
      return 1;
    } finally {
      await opened.pool.end().catch(() => {});
    }
  };
}

export const auditCommand: Command = createAuditCommand();
