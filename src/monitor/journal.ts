/**
 * The held-results journal (issue 15): check results a shutdown could not write are spooled
 * to `<DATA_DIR>/held-results.journal` and replayed at the next start, before checking resumes.
 *
 * - Written atomically: a temp file in the same directory, fsynced, then renamed over the name,
 *   so a crash mid-write leaves the previous journal or none, never half of one.
 * - One JSON document: format, version, the schema (latest migration id) it was written under,
 *   the record count, a SHA-256 of the records' text, and the records.
 * - Bounded: at most `max` records (HELD_RESULTS_MAX). Past the bound the oldest records are
 *   kept and the rest are dropped with an error log naming the count.
 * - A journal that cannot be read, fails its checksum, or comes from another format or schema is
 *   never half-applied: it is renamed aside to `held-results.journal.rejected-<epoch ms>` and the
 *   problem is reported; nothing from it is written.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { CheckRecord } from "./writer.ts";

export const JOURNAL_NAME = "held-results.journal";
const FORMAT = "jetmon2.held-results";
const VERSION = 1;

const RecordSchema = Type.Object({
  siteId: Type.Integer({ minimum: 1 }),
  blogId: Type.Integer({ minimum: 0 }),
  checkedAt: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$" }),
  httpCode: Type.Integer(),
  errorCode: Type.Integer(),
  rttMs: Type.Integer(),
  dnsMs: Type.Integer(),
  tcpMs: Type.Integer(),
  tlsMs: Type.Integer(),
  ttfbMs: Type.Integer(),
  sslExpiryDate: Type.Optional(Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" })),
  /** false: last_checked_at only, no history row (CHECK_HISTORY_MODE). */
  history: Type.Optional(Type.Boolean()),
});

const JournalSchema = Type.Object({
  format: Type.String(),
  version: Type.Integer(),
  schema: Type.Integer(),
  count: Type.Integer({ minimum: 0 }),
  sha256: Type.String(),
  records: Type.Array(RecordSchema),
});

export interface SpoolResult {
  path: string;
  written: number;
  /** Records past the bound that were not spooled. */
  dropped: number;
}

function toJson(r: CheckRecord) {
  const out = {
    siteId: r.siteId,
    blogId: r.blogId,
    checkedAt: r.checkedAt.toISOString(),
    httpCode: Math.trunc(r.httpCode),
    errorCode: Math.trunc(r.errorCode),
    rttMs: Math.trunc(r.rttMs),
    dnsMs: Math.trunc(r.dnsMs),
    tcpMs: Math.trunc(r.tcpMs),
    tlsMs: Math.trunc(r.tlsMs),
    ttfbMs: Math.trunc(r.ttfbMs),
  };
  const withExpiry = r.sslExpiryDate ? { ...out, sslExpiryDate: r.sslExpiryDate } : out;
  return r.history === false ? { ...withExpiry, history: false } : withExpiry;
}

function digest(recordsText: string): string {
  return createHash("sha256").update(recordsText).digest("hex");
}

/** Writes `records` (at most `max`) to the journal in `dir`, replacing any journal there. */
export function spoolJournal(dir: string, records: CheckRecord[], max: number, schema: number): SpoolResult {
  mkdirSync(dir, { recursive: true });
  const kept = records.slice(0, Math.max(0, max)).map(toJson);
  const recordsText = JSON.stringify(kept);
  const doc = `{"format":${JSON.stringify(FORMAT)},"version":${VERSION},"schema":${schema},"count":${kept.length},"sha256":"${digest(recordsText)}","records":${recordsText}}\n`;
  const path = join(dir, JOURNAL_NAME);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, doc);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // The rename is durable once the directory entry is.
  try {
    const dfd = openSync(dir, "r");
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Not every filesystem lets a directory be fsynced; the rename itself is atomic.
  }
  return { path, written: kept.length, dropped: records.length - kept.length };
}

export type JournalRead =
  | { kind: "none" }
  | { kind: "ok"; path: string; records: CheckRecord[] }
  | { kind: "rejected"; path: string; keptAs: string; problem: string };

/** Reads the journal in `dir`. A bad one is moved aside at once and reported, never returned. */
export function readJournal(dir: string, schema: number, now: () => number = Date.now): JournalRead {
  const path = join(dir, JOURNAL_NAME);
  if (!existsSync(path)) return { kind: "none" };
  const problem = journalProblem(path, schema);
  if (typeof problem === "string") {
    const keptAs = `${path}.rejected-${now()}`;
    renameSync(path, keptAs);
    return { kind: "rejected", path, keptAs, problem };
  }
  return { kind: "ok", path, records: problem };
}

function journalProblem(path: string, schema: number): string | CheckRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    return `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  const head = doc as { format?: unknown; version?: unknown; schema?: unknown };
  if (head?.format !== FORMAT) return `format is ${JSON.stringify(head?.format)}, want "${FORMAT}"`;
  if (head.version !== VERSION) return `version is ${JSON.stringify(head.version)}, want ${VERSION}`;
  if (head.schema !== schema)
    return `written under schema ${JSON.stringify(head.schema)}, this jetmon2 has ${schema}`;
  if (!Value.Check(JournalSchema, doc)) {
    const first = Value.Errors(JournalSchema, doc).First();
    return `invalid at ${first?.path || "/"}: ${first?.message ?? "does not match"}`;
  }
  if (doc.count !== doc.records.length) return `count says ${doc.count}, file holds ${doc.records.length}`;
  if (digest(JSON.stringify(doc.records)) !== doc.sha256) return "checksum does not match the records";
  return doc.records.map((r) => ({ ...r, checkedAt: new Date(r.checkedAt) }));
}

/** Deletes the journal once its records are written. */
export function removeJournal(path: string): void {
  rmSync(path, { force: true });
}
